package io.segpool.integration;

import com.lmax.disruptor.BatchEventProcessor;
import com.lmax.disruptor.BatchEventProcessorBuilder;
import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.YieldingWaitStrategy;
import io.segpool.allocator.NativeAllocator;
import io.segpool.chronicle.BlockBytes;
import io.segpool.stats.MemStats;
import net.openhft.chronicle.bytes.Bytes;
import org.HdrHistogram.Histogram;

import java.util.function.LongConsumer;

/**
 * The trading pipeline, the Go "bound defer pools" commit's cross-thread pattern in its natural habitat: a producer thread
 * allocates an order block (64-256 B), encodes the order through a Chronicle view, and publishes the
 * block's address in an LMAX Disruptor event; a consumer thread decodes it, checks its checksum and
 * sequence, and frees the block on its own thread. Blocks flow producer → consumer → (through the
 * consumer's ring spills and the central stacks) → producer, so {@code Sys} must stay flat.
 *
 * <p>The steady state makes no heap garbage: addresses travel as {@code long}s in preallocated
 * events, the Chronicle views are re-pointed, and the histogram has a fixed range.
 */
public final class TradingPipeline {

    /**
     * @param orders        orders to send after warm-up (ignored when {@code seconds > 0})
     * @param seconds       run for this long instead of a fixed count
     * @param warmupOrders  orders sent first and not measured (JIT, ring and chunk warm-up)
     * @param ringSize      Disruptor ring slots, a power of two
     */
    public record Config(long orders, double seconds, long warmupOrders, int ringSize) {
        public Config {
            if (orders < 0 || seconds < 0 || warmupOrders < 0) {
                throw new IllegalArgumentException("orders " + orders + ", seconds " + seconds + ", warm-up "
                        + warmupOrders + ": none may be negative");
            }
            if (ringSize < 1 || Integer.bitCount(ringSize) != 1) {
                throw new IllegalArgumentException("ring size " + ringSize + " is not a power of two");
            }
        }

        public static Config ofOrders(long orders) {
            return new Config(orders, 0, 200_000, 1024);
        }
    }

    /**
     * What a run measured. Latency is from the moment the producer is ready to publish an order (so
     * a wait for a free slot counts) to its free, in nanoseconds.
     *
     * @param latency               corrected for coordinated omission with {@code expectedIntervalNanos}
     * @param uncorrected           as recorded, one value per order
     * @param expectedIntervalNanos the producer's mean interval between orders over the measured run
     */
    public record Result(long orders, long lost, long corrupt, long outOfOrder, double seconds,
                         long sysAfterWarmup, long sysPeak, long sysEnd, long inuseEnd, long gcDuringRun,
                         Latency latency, Latency uncorrected, long expectedIntervalNanos) {
        public double ordersPerSecond() {
            return orders / seconds;
        }
    }

    /** Percentiles of one latency histogram, in nanoseconds; {@code count} values in all. */
    public record Latency(long p50, long p99, long p999, long max, long count) {
        static Latency of(Histogram histogram) {
            return new Latency(histogram.getValueAtPercentile(50), histogram.getValueAtPercentile(99),
                    histogram.getValueAtPercentile(99.9), histogram.getMaxValue(), histogram.getTotalCount());
        }
    }

    /** One event of the ring: a block in flight. */
    static final class OrderEvent {
        long address;
        long size;
        long publishNanos;
    }

    private TradingPipeline() {
    }

    /** Runs the pipeline on {@code allocator}; {@code progress} gets the orders done so far now and then. */
    public static Result run(NativeAllocator allocator, Config config, LongConsumer progress) throws InterruptedException {
        RingBuffer<OrderEvent> ring = RingBuffer.createSingleProducer(OrderEvent::new, config.ringSize(),
                new YieldingWaitStrategy());
        Consumer consumer = new Consumer(allocator);
        SequenceBarrier barrier = ring.newBarrier();
        BatchEventProcessor<OrderEvent> processor = new BatchEventProcessorBuilder().build(ring, barrier, consumer);
        ring.addGatingSequences(processor.getSequence());
        Thread consumerThread = Thread.ofPlatform().name("segpool-consumer").start(processor);

        Producer producer = new Producer(allocator, ring);
        MemStats stats = new MemStats();
        producer.send(config.warmupOrders());
        waitUntilConsumed(ring, processor);
        allocator.readMemStats(stats);
        long sysAfterWarmup = stats.sys();
        long sysPeak = sysAfterWarmup;
        consumer.startMeasuring();

        long gcBefore = GcCounter.collections();
        long start = System.nanoTime();
        long deadline = config.seconds() > 0 ? start + (long) (config.seconds() * 1e9) : Long.MAX_VALUE;
        long sent = 0;
        long step = 50_000;
        while (config.seconds() > 0 ? System.nanoTime() < deadline : sent < config.orders()) {
            long batch = config.seconds() > 0 ? step : Math.min(step, config.orders() - sent);
            producer.send(batch);
            sent += batch;
            if (sent % 1_000_000 == 0) {
                allocator.readMemStats(stats);
                sysPeak = Math.max(sysPeak, stats.sys());
                progress.accept(sent);
            }
        }
        waitUntilConsumed(ring, processor);
        double seconds = (System.nanoTime() - start) / 1e9;
        long gcDuring = GcCounter.collections() - gcBefore;
        processor.halt();
        consumerThread.join();

        allocator.readMemStats(stats);
        sysPeak = Math.max(sysPeak, stats.sys());
        // The producer is closed-loop: while the consumer stalls and the ring is full, it sends nothing,
        // so the orders it would have sent in the stall are missing from the histogram (coordinated
        // omission). HdrHistogram's correction adds them back at the producer's own mean interval: for a
        // value above the interval, the values value - interval, value - 2 * interval, ... down to the
        // interval. It is done after the run (the same arithmetic as recordValueWithExpectedInterval)
        // so that the consumer, the pipeline's bottleneck, does no extra work during a stall.
        Histogram recorded = consumer.latency;
        long expectedInterval = Math.max(1, Math.round(seconds * 1e9 / Math.max(1, sent)));
        Histogram corrected = recorded.copyCorrectedForCoordinatedOmission(expectedInterval);
        long total = config.warmupOrders() + sent;
        return new Result(sent, total - consumer.consumed, consumer.corrupt, consumer.outOfOrder, seconds,
                sysAfterWarmup, sysPeak, stats.sys(), stats.inuse(), gcDuring,
                Latency.of(corrected), Latency.of(recorded), expectedInterval);
    }

    private static void waitUntilConsumed(RingBuffer<OrderEvent> ring, BatchEventProcessor<OrderEvent> processor) {
        while (processor.getSequence().get() < ring.getCursor()) {
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    /** Allocates, encodes and publishes; runs on the calling thread. */
    private static final class Producer {
        private final NativeAllocator allocator;
        private final RingBuffer<OrderEvent> ring;
        private final BlockBytes view = new BlockBytes();
        private long sequence;
        private long random = 0x2545_F491_4F6C_DD1DL;

        Producer(NativeAllocator allocator, RingBuffer<OrderEvent> ring) {
            this.allocator = allocator;
            this.ring = ring;
        }

        void send(long count) {
            for (long i = 0; i < count; i++) {
                long r = nextRandom();
                long size = OrderCodec.MIN_SIZE + (r & 0xFF) % (OrderCodec.MAX_SIZE - OrderCodec.MIN_SIZE + 1);
                long address = allocator.allocateAddress(size);
                OrderCodec.encode(view.write(address, size), size, sequence, r >>> 8, 100_000_000L + (r & 0xFFFF),
                        1 + ((r >>> 16) & 0x3FF), (int) ((r >>> 32) & 0xFFF), (r & 0x100) == 0 ? (byte) 'B' : (byte) 'S');
                long ready = System.nanoTime(); // before ring.next(): a wait for a free slot is latency too
                long slot = ring.next();
                OrderEvent event = ring.get(slot);
                event.address = address;
                event.size = size;
                event.publishNanos = ready;
                ring.publish(slot);
                sequence++;
            }
        }

        private long nextRandom() {
            random ^= random << 13;
            random ^= random >>> 7;
            random ^= random << 17;
            return random;
        }
    }

    /** Decodes, checks and frees on the consumer thread. Fields are read after the thread is joined. */
    private static final class Consumer implements EventHandler<OrderEvent> {
        private final NativeAllocator allocator;
        private final BlockBytes view = new BlockBytes();
        final Histogram latency = new Histogram(1, 10_000_000_000L, 3);
        long consumed;
        long corrupt;
        long outOfOrder;
        private volatile boolean measuring;

        Consumer(NativeAllocator allocator) {
            this.allocator = allocator;
        }

        void startMeasuring() {
            measuring = true;
        }

        @Override
        public void onEvent(OrderEvent event, long sequence, boolean endOfBatch) {
            Bytes<Void> order = view.read(event.address, event.size);
            if (!OrderCodec.intact(order, event.size)) {
                corrupt++;
            } else if (OrderCodec.sequence(order) != consumed) {
                outOfOrder++;
            }
            allocator.freeAddress(event.address, event.size);
            consumed++;
            if (measuring) {
                latency.recordValue(Math.max(1, System.nanoTime() - event.publishNanos));
            }
        }
    }
}
