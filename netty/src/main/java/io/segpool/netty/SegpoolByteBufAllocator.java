package io.segpool.netty;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.UnpooledHeapByteBuf;
import io.segpool.allocator.AllocatorConfig;
import io.segpool.allocator.NativeAllocator;
import io.segpool.stats.MemStats;
import io.segpool.stats.MemStatsSource;

import java.util.Objects;

/**
 * A Netty {@link io.netty.buffer.ByteBufAllocator} whose direct buffers are blocks of a segpool
 * {@link NativeAllocator} that it owns; heap buffers are Netty's unpooled heap buffers. Set it on
 * a bootstrap with {@code ChannelOption.ALLOCATOR} (server, child and client options).
 *
 * <p>{@link #isDirectBufferPooled()} is true, so channels copy heap writes into this allocator's
 * direct buffers. Every buffer goes through {@code toLeakAwareBuffer}, so Netty's leak detector
 * ({@code -Dio.netty.leakDetection.level}) watches these buffers as it watches its own. A buffer
 * may be released on any thread, virtual ones included.
 *
 * <p>{@link #metric()} reports {@code usedDirectMemory} as the resident bytes
 * ({@code Sys - Released}), Netty's meaning of "used" for its pooled allocator, and
 * {@link #pinnedDirectMemory()} the bytes handed out ({@code Inuse}); {@link #trim()} gives free
 * memory back to the OS and {@link #readMemStats} reads all of segpool's figures.
 *
 * <p>Closing: {@link #close()} closes the allocator to new buffers at once, and unmaps its memory
 * only once no block is in use; while buffers are live it throws and can be called again after
 * they are released. That matters when Netty runs with {@code sun.misc.Unsafe} (it then copies
 * raw memory at {@link ByteBuf#memoryAddress()}, bypassing the segment checks), where unmapping
 * under a live buffer would crash the JVM. Closing while other threads still allocate is a race
 * the caller must not run: finish the event loops first.
 */
public final class SegpoolByteBufAllocator extends AbstractByteBufAllocator
        implements ByteBufAllocatorMetricProvider, MemStatsSource, AutoCloseable {

    private final NativeAllocator memory;
    private final BufferRecycler buffers;
    /** Scratch for the metric reads; they hold its monitor so that a read makes no garbage. */
    private final MemStats scratch = new MemStats();
    private final ByteBufAllocatorMetric metric = new ByteBufAllocatorMetric() {
        @Override
        public long usedHeapMemory() {
            return -1;
        }

        @Override
        public long usedDirectMemory() {
            return SegpoolByteBufAllocator.this.usedDirectMemory();
        }

        @Override
        public String toString() {
            return "SegpoolByteBufAllocatorMetric(usedDirectMemory: " + usedDirectMemory()
                    + "; pinnedDirectMemory: " + pinnedDirectMemory() + ")";
        }
    };
    private volatile boolean closed;

    private SegpoolByteBufAllocator(NativeAllocator memory) {
        super(true);
        this.memory = memory;
        this.buffers = new BufferRecycler(memory);
    }

    /**
     * An allocator over a new segpool allocator with the default settings.
     *
     * @return a new allocator, which the caller closes
     */
    public static SegpoolByteBufAllocator create() {
        return create(AllocatorConfig.defaults());
    }

    /**
     * An allocator over a new segpool allocator made with {@code config}: a memory limit, free
     * checks, background release and the rest apply to the direct buffers.
     *
     * @param config the settings of the segpool allocator underneath
     * @return a new allocator, which the caller closes
     */
    public static SegpoolByteBufAllocator create(AllocatorConfig config) {
        return new SegpoolByteBufAllocator(NativeAllocator.create(Objects.requireNonNull(config, "config")));
    }

    NativeAllocator memory() {
        return memory;
    }

    BufferRecycler buffers() {
        return buffers;
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
        if (closed) {
            throw new IllegalStateException(name() + " is closed: it hands out no more buffers");
        }
        BufferRecycler.Carrier carrier = buffers.carrier();
        SegpoolByteBuf buf = carrier != null ? carrier.pop() : new SegpoolByteBuf();
        return toLeakAwareBuffer(buf.init(this, carrier, initialCapacity, maxCapacity));
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
        return toLeakAwareBuffer(new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity));
    }

    /** {@return true: direct buffers are recycled blocks, so channels copy heap writes into them} */
    @Override
    public boolean isDirectBufferPooled() {
        return true;
    }

    /** {@return the metric that Micrometer's {@code NettyAllocatorMetrics} reads} */
    @Override
    public ByteBufAllocatorMetric metric() {
        return metric;
    }

    /**
     * The bytes of direct memory resident: {@code Sys - Released}, what the OS backs for this
     * allocator, free blocks in caches included (Netty's pooled allocator counts its chunks so).
     *
     * @return the resident bytes
     * @throws IllegalStateException if this allocator is closed
     */
    public long usedDirectMemory() {
        synchronized (scratch) {
            memory.readMemStats(scratch);
            return scratch.sys() - scratch.released();
        }
    }

    /**
     * The bytes of direct memory handed out to live buffers ({@code Inuse}, counted in blocks).
     *
     * @return the bytes in use
     * @throws IllegalStateException if this allocator is closed
     */
    public long pinnedDirectMemory() {
        synchronized (scratch) {
            memory.readMemStats(scratch);
            return scratch.inuse();
        }
    }

    /**
     * Gives free memory back to the OS: see {@link NativeAllocator#trim()}.
     *
     * @return the bytes given back
     * @throws IllegalStateException if this allocator is closed
     */
    public long trim() {
        return memory.trim();
    }

    @Override
    public String name() {
        return memory.name();
    }

    @Override
    public void readMemStats(MemStats stats) {
        memory.readMemStats(stats);
    }

    /**
     * Whether this allocator still hands out buffers.
     *
     * @return false once {@link #close()} has been called
     */
    public boolean isOpen() {
        return !closed;
    }

    /**
     * Closes this allocator to new buffers and, once no block is in use, unmaps its memory.
     * Idempotent once it has succeeded.
     *
     * @throws IllegalStateException if buffers are still live (nothing is unmapped; release them
     *         and call again), or the segpool allocator refused to close (see
     *         {@link NativeAllocator#close()})
     */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            if (!memory.isOpen()) {
                return;
            }
            MemStats stats = new MemStats();
            memory.readMemStats(stats);
            if (stats.inuse() != 0) {
                throw new IllegalStateException(name() + ": " + stats.inuse() + " bytes in " + (stats.mallocs() - stats.frees())
                        + " blocks are still in live buffers; closed to new buffers, but nothing is unmapped under them:"
                        + " release them and close again");
            }
            memory.close();
        }
    }

    @Override
    public String toString() {
        return "SegpoolByteBufAllocator(" + name() + (closed ? ", closed)" : ")");
    }
}
