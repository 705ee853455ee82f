package io.segpool.integration;

import com.lmax.disruptor.EventHandler;
import io.segpool.allocator.NativeAllocator;
import io.segpool.chronicle.BlockBytes;
import io.segpool.pools.DeferPool;
import io.segpool.pools.DeferScope;
import io.segpool.pools.Frame;
import io.segpool.pools.SegmentedStack;
import io.segpool.pools.StackPool;
import net.openhft.chronicle.bytes.Bytes;
import org.HdrHistogram.Histogram;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The trading pipeline's consumer: for each order it pushes a {@link SegmentedStack} frame, decodes
 * the order's fields into the frame's scratch, checks the checksum and each producer's sequence,
 * and defers the block's free in a {@link DeferScope}, which runs as the order's handling ends (a
 * Go function's {@code defer}); so the blocks are freed on this thread, and StackSys/StackInuse and
 * DeferSys/DeferInuse move. The stack and scope are made on the consumer thread when the processor
 * starts and closed when it stops, so StackInuse and DeferInuse are 0 once it has. Counters and
 * histograms are read after the thread is joined.
 */
final class OrderConsumer implements EventHandler<TradingPipeline.OrderEvent> {

    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED;
    /**
     * All memory, to write the decoded fields at the frame's raw address: a segment per order from
     * {@link Frame#allocate(long)} is 40-odd bytes of heap garbage that escape analysis does not remove.
     */
    private static final MemorySegment MEMORY = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    /** A deferred free's one word: the block's size (at most 256) above a user-space address (below 2^48). */
    private static final int SIZE_SHIFT = 48;
    private static final long ADDRESS_MASK = (1L << SIZE_SHIFT) - 1;

    private final NativeAllocator allocator;
    private final StackPool stacks;
    private final DeferPool defers;
    private final int free;
    private final BlockBytes view = new BlockBytes();
    private final long[] nextSequence;
    /** Publish-to-free latency from the intended send time. */
    final Histogram latency = new Histogram(1, 10_000_000_000L, 3);
    /** Publish-to-free latency from the moment the order was actually published. */
    final Histogram service = new Histogram(1, 10_000_000_000L, 3);
    long consumed;
    long corrupt;
    long outOfOrder;
    private SegmentedStack stack;
    private DeferScope scope;
    private volatile boolean measuring;

    OrderConsumer(NativeAllocator allocator, StackPool stacks, DeferPool defers, int producers) {
        this.allocator = allocator;
        this.stacks = stacks;
        this.defers = defers;
        this.nextSequence = new long[producers];
        this.free = defers.register(args -> {
            long word = args.word();
            allocator.freeAddress(word & ADDRESS_MASK, word >>> SIZE_SHIFT);
        });
    }

    void startMeasuring() {
        measuring = true;
    }

    @Override
    public void onStart() {
        stack = stacks.newStack();
        scope = defers.newScope();
    }

    @Override
    public void onShutdown() {
        scope.close();
        stack.close();
    }

    @Override
    public void onEvent(TradingPipeline.OrderEvent event, long sequence, boolean endOfBatch) {
        try (Frame frame = stack.push()) {
            long fields = frame.allocateAddress(48);
            Bytes<Void> order = view.read(event.address, event.size);
            MEMORY.set(WORD, fields, OrderCodec.sequence(order));
            MEMORY.set(WORD, fields + 8, order.readLong(8));
            MEMORY.set(WORD, fields + 16, order.readLong(16));
            MEMORY.set(WORD, fields + 24, order.readLong(24));
            MEMORY.set(WORD, fields + 32, event.size);
            scope.defer(free, event.address | event.size << SIZE_SHIFT);
            long orderSequence = MEMORY.get(WORD, fields);
            int producer = (int) (orderSequence >>> PacedProducer.PRODUCER_SHIFT);
            if (!OrderCodec.intact(order, event.size) || producer >= nextSequence.length) {
                corrupt++;
            } else if ((orderSequence & ((1L << PacedProducer.PRODUCER_SHIFT) - 1)) != nextSequence[producer]++) {
                outOfOrder++;
            }
            scope.runDeferred();
        }
        consumed++;
        if (measuring) {
            long now = System.nanoTime();
            latency.recordValue(Math.max(1, now - event.intendedNanos));
            service.recordValue(Math.max(1, now - event.sentNanos));
        }
    }
}
