package io.segpool.arrow;

import io.segpool.allocator.AllocatorConfig;
import io.segpool.allocator.MemoryLimitException;
import io.segpool.allocator.NativeAllocator;
import io.segpool.stats.MemStats;
import io.segpool.stats.MemStatsSource;

import org.apache.arrow.memory.AllocationManager;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.memory.ReferenceManager;
import org.apache.arrow.memory.RootAllocator;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Arrow's {@link AllocationManager.Factory} over a segpool {@link NativeAllocator} that it owns:
 * every Arrow buffer is one segpool block, 64-byte aligned, of exactly the bytes Arrow accounted.
 * Make a {@code RootAllocator} on it with {@link #newRootAllocator(long)}; its children inherit
 * the factory.
 *
 * <pre>{@code
 * try (SegpoolArrow memory = SegpoolArrow.create();
 *      BufferAllocator root = memory.newRootAllocator(Long.MAX_VALUE);
 *      IntVector ids = new IntVector("id", root)) {
 *     ids.allocateNew(1024);
 * }
 * }</pre>
 *
 * <p><b>Memory safety.</b> Arrow reads and writes its buffers through {@code sun.misc.Unsafe} on
 * raw addresses, so segpool's segment checks do not guard an {@code ArrowBuf}: the one thing
 * that must never happen is an unmap under a live buffer. This factory counts its live buffers
 * and owns its allocator (it is not reachable from here), so {@link #close()} with buffers still
 * live refuses new buffers, keeps the memory mapped and throws; the release of the last of those
 * buffers then unmaps it. A buffer is never left over unmapped memory.
 *
 * <p><b>Memory back to the OS.</b> Arrow never calls a trim: {@link #create()} turns on segpool's
 * background release ({@link #DEFAULT_RELEASE_AFTER}), so free memory left idle goes back to the
 * OS on its own, and closing a root made by {@link #newRootAllocator} trims at once when no
 * buffer of this factory is live. {@link #create(AllocatorConfig)} takes the allocator's settings
 * as they are (a memory limit, another release delay, or none).
 *
 * <p>A segpool memory limit ({@link AllocatorConfig#withMemoryLimit}) is reported to Arrow as
 * its {@link OutOfMemoryException}, so {@code allocateNewSafe()} returns false; Arrow's own
 * {@code maxAllocation} is checked by Arrow before this factory is asked. Buffers may be released
 * on any thread, virtual threads included.
 */
public final class SegpoolArrow implements AllocationManager.Factory, MemStatsSource, AutoCloseable {

    /**
     * The background-release delay of {@link #create()}: 1 s. Free memory idle that long goes
     * back to the OS within 1.5 s; a batch loop that reuses its memory faster keeps it.
     */
    public static final Duration DEFAULT_RELEASE_AFTER = Duration.ofSeconds(1);

    /** Arrow's buffers are 64-byte aligned by every built-in manager; vector code assumes it. */
    static final long ALIGNMENT = 64;


    private final NativeAllocator allocator;
    /** Buffers handed out and not yet released; a create counts itself before it checks {@link #closed}. */
    private final AtomicLong live = new AtomicLong();
    private volatile boolean closed;
    /** Set by whichever of close() and the last release gets to unmap first. */
    private final AtomicBoolean unmapping = new AtomicBoolean();

    private SegpoolArrow(NativeAllocator allocator) {
        this.allocator = allocator;
    }

    /**
     * A factory over a new allocator with {@link AllocatorConfig#defaults()} and background
     * release after {@link #DEFAULT_RELEASE_AFTER}.
     *
     * @return a new factory; close it to unmap its memory
     */
    public static SegpoolArrow create() {
        return create(AllocatorConfig.defaults().withReleaseAfter(DEFAULT_RELEASE_AFTER));
    }

    /**
     * A factory over a new allocator built as {@code config} says.
     *
     * @param config the allocator's settings, used as they are
     * @return a new factory; close it to unmap its memory
     */
    public static SegpoolArrow create(AllocatorConfig config) {
        return new SegpoolArrow(NativeAllocator.create(Objects.requireNonNull(config, "config")));
    }

    /**
     * A root allocator whose buffers, and its children's, come from this factory; closing it
     * also trims this factory's allocator when none of this factory's buffers is live.
     *
     * @param maxAllocation Arrow's limit on the root's outstanding bytes
     * @return a new root allocator
     */
    public RootAllocator newRootAllocator(long maxAllocation) {
        return new SegpoolRootAllocator(this, maxAllocation);
    }

    @Override
    public AllocationManager create(BufferAllocator accountingAllocator, long size) {
        live.incrementAndGet();
        if (closed) {
            released();
            throw new IllegalStateException("segpool-arrow " + allocator.name() + " is closed: no new Arrow buffers");
        }
        MemorySegment block;
        try {
            block = allocator.allocate(size, ALIGNMENT);
        } catch (MemoryLimitException e) {
            released();
            throw new OutOfMemoryException("segpool memory limit: " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            released();
            throw e;
        }
        return new SegpoolAllocationManager(this, accountingAllocator, block, size);
    }

    @Override
    public ArrowBuf empty() {
        return Empty.BUFFER;
    }

    /**
     * The zero-length buffer Arrow hands out for empty requests, with no memory behind it, as
     * Arrow's own managers' is. In a holder, made on first use: an {@code ArrowBuf} loads Arrow's
     * {@code BaseAllocator}, whose static default config takes the default manager of that moment,
     * so making a factory must not load it (a test run that makes this factory Arrow's default
     * sets it first).
     */
    private static final class Empty {
        static final ArrowBuf BUFFER = new ArrowBuf(ReferenceManager.NO_OP, null, 0, 0);
    }

    /** Frees a buffer's block; {@link SegpoolAllocationManager#release0()} calls it, once per buffer. */
    void release(MemorySegment block, long size) {
        allocator.free(block);
        released();
    }

    private void released() {
        if (live.decrementAndGet() == 0 && closed) {
            unmap();
        }
    }

    /**
     * The Arrow buffers of this factory not yet released (a slice or a transfer is the same buffer).
     *
     * @return the count
     */
    public long liveBuffers() {
        return live.get();
    }

    /**
     * Gives the allocator's free memory back to the OS now (see {@link NativeAllocator#trim()}).
     *
     * @return the bytes given back
     * @throws IllegalStateException if this factory is closed
     */
    public long trim() {
        return allocator.trim();
    }

    /**
     * The trim of a root's close: only when nothing is live, and quietly nothing once closed. The
     * closing thread freed the root's last buffers into its own rings, where a trim cannot reach
     * while the thread lives (the large rings grow to hold a batch's buffers, up to 4 MiB): a
     * platform thread flushes its cache first. A virtual thread's blocks sit in the stripes, which
     * the trim flushes itself.
     */
    void trimIfIdle() {
        if (live.get() == 0 && !closed) {
            try {
                if (!Thread.currentThread().isVirtual()) {
                    allocator.threadCache().flush();
                }
                allocator.trim();
            } catch (IllegalStateException e) {
                // close() raced the root's close: the unmap gives everything back anyway.
            }
        }
    }

    /** {@return the allocator's name, which its JMX, JFR and metrics figures carry} */
    @Override
    public String name() {
        return allocator.name();
    }

    /**
     * The allocator's figures: {@code Inuse} counts the blocks behind live Arrow buffers (their
     * block sizes), {@code Sys - Released} what is resident.
     *
     * @param stats the snapshot to overwrite
     * @throws IllegalStateException if the allocator is unmapped
     */
    @Override
    public void readMemStats(MemStats stats) {
        allocator.readMemStats(stats);
    }

    /**
     * Whether this factory still makes buffers.
     *
     * @return false once {@link #close()} was called
     */
    public boolean isOpen() {
        return !closed;
    }

    /**
     * Refuses new buffers from now on and unmaps the allocator's memory once no buffer of this
     * factory is live: at once when none is, else when the last one is released. Idempotent.
     *
     * @throws IllegalStateException if buffers are still live (they stay valid, and the memory
     *         is unmapped when the last of them is released), or the allocator's own close
     *         failed (see {@link NativeAllocator#close()})
     */
    @Override
    public void close() {
        closed = true;
        long stillLive = live.get();
        if (stillLive == 0) {
            unmap();
            return;
        }
        throw new IllegalStateException("segpool-arrow " + allocator.name() + " closed with " + stillLive
                + " Arrow buffer(s) still live: their memory stays mapped until the last is released, then it is unmapped");
    }

    private void unmap() {
        if (unmapping.compareAndSet(false, true)) {
            allocator.close();
        }
    }
}
