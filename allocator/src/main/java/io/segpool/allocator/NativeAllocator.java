package io.segpool.allocator;

import io.segpool.stats.MemStats;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An off-heap allocator of recycled native blocks. Requests up to {@link SizeClasses#MAX_SIZE}
 * are rounded up to a size class and served from the calling thread's ring cache, which trades
 * batches of 16 blocks with a per-class central stack; larger requests get a mapping of their own
 * that goes straight back to the OS on free.
 *
 * <p>Two ways in, with the same checks:
 * <ul>
 *   <li>{@link #allocate(long)} / {@link #free(MemorySegment)}: a {@link MemorySegment} of exactly
 *   the requested size, in the scope of its chunk, so touching it after its memory went back to
 *   the OS throws {@link IllegalStateException}. Use this by default. The segment is one small
 *   heap object; where it does not escape the calling code (allocate, use, free in one method),
 *   the JIT removes it and the pair allocates nothing on the heap.
 *   <li>{@link #allocateAddress(long)} / {@link #freeAddress(long, long)}: a raw address, for
 *   handing blocks across threads through a {@code long} (a Disruptor event, a queue of longs)
 *   with no heap object at all. View the block with {@link #segment(long, long)}.
 * </ul>
 *
 * <p>This is a {@link SegmentAllocator}, not an {@link java.lang.foreign.Arena}: blocks are
 * recycled, so a segment's memory is not zeroed and its address may be handed out again after a
 * free. {@link #close()} gives every byte back to the OS; any call after it throws
 * {@link IllegalStateException}.
 */
public final class NativeAllocator implements SegmentAllocator, AutoCloseable {

    /** The largest block that {@link #allocate(long)} maps (64 TiB): larger requests are refused. */
    public static final long MAX_BLOCK = 1L << 46;
    /** The largest alignment accepted (1 GiB). */
    public static final long MAX_ALIGNMENT = 1L << 30;
    /** Free blocks one thread keeps per size class, at most (seed 003's stack cache size). */
    public static final int RING_CAPACITY = RingCache.CAPACITY;
    /** Blocks a ring takes from or gives to its central stack at once: half its capacity. */
    public static final int BATCH = CentralStack.BATCH;

    private final AllocatorConfig config;
    /** Whether blocks are handed out zeroed ({@link AllocatorConfig#zeroed()}). */
    private final boolean zeroed;
    /** Allocation sites for leak reports; null unless {@link AllocatorConfig#leakTracking()} is on. */
    private final LeakTracker leaks;
    /** {@link AllocatorConfig#debug()}: the one switch in front of every poison fill and check. */
    private final boolean debug;
    private final ChunkSource source;
    private final CentralStack[] centrals;
    private final CacheRegistry caches;
    /** Set once by {@link #close()}; read on every call. */
    private volatile boolean closed;
    private final AtomicLong largeInuse = new AtomicLong();
    private final AtomicLong largeMallocs = new AtomicLong();
    private final AtomicLong largeFrees = new AtomicLong();
    /** Scratch for {@link #readMemStats}, which holds its monitor so that the read makes no garbage. */
    private final long[] classSums = new long[3];

    private NativeAllocator(AllocatorConfig config, MemoryMapper mapper) {
        this.config = config;
        this.leaks = config.leakTracking() == AllocatorConfig.LeakTracking.OFF ? null : new LeakTracker(config.leakTracking());
        this.debug = config.debug();
        this.zeroed = config.zeroed();
        this.source = new ChunkSource(this, mapper, config);
        this.centrals = new CentralStack[SizeClasses.count()];
        for (int c = 0; c < centrals.length; c++) {
            centrals[c] = new CentralStack(this, source, c);
        }
        this.caches = new CacheRegistry(this);
    }

    /** An allocator with {@link AllocatorConfig#defaults()}. */
    public static NativeAllocator create() {
        return create(AllocatorConfig.defaults());
    }

    public static NativeAllocator create(AllocatorConfig config) {
        return create(config, OsMemory.INSTANCE);
    }

    /** An allocator that maps through {@code mapper} instead of the OS; for tests that make mapping fail. */
    static NativeAllocator create(AllocatorConfig config, MemoryMapper mapper) {
        return new NativeAllocator(Objects.requireNonNull(config, "config"), Objects.requireNonNull(mapper, "mapper"));
    }

    public AllocatorConfig config() {
        return config;
    }

    // ---- segments -----------------------------------------------------------------------------

    /** {@code size} bytes, 16-byte aligned, not zeroed. */
    @Override
    public MemorySegment allocate(long size) {
        Thread thread = Thread.currentThread();
        if (!thread.isVirtual()) {
            return allocate(caches.local(), size);
        }
        ThreadCache cache = caches.lockShared(thread);
        try {
            return allocate(cache, size);
        } finally {
            cache.lock.unlock();
        }
    }

    /** {@code size} bytes on an {@code alignment} boundary (a power of two up to {@link #MAX_ALIGNMENT}), not zeroed. */
    @Override
    public MemorySegment allocate(long size, long alignment) {
        Thread thread = Thread.currentThread();
        if (!thread.isVirtual()) {
            return allocate(caches.local(), size, alignment);
        }
        ThreadCache cache = caches.lockShared(thread);
        try {
            return allocate(cache, size, alignment);
        } finally {
            cache.lock.unlock();
        }
    }

    /**
     * Frees a segment that this allocator returned, unchanged. Refused, with nothing changed: a
     * segment from elsewhere, a slice or resized view of a block, a block already free.
     */
    public void free(MemorySegment segment) {
        Thread thread = Thread.currentThread();
        if (!thread.isVirtual()) {
            free(caches.local(), segment);
            return;
        }
        ThreadCache cache = caches.lockShared(thread);
        try {
            free(cache, segment);
        } finally {
            cache.lock.unlock();
        }
    }

    // ---- addresses ----------------------------------------------------------------------------

    /** Like {@link #allocate(long)}, returning the block's address and making no heap object. */
    public long allocateAddress(long size) {
        Thread thread = Thread.currentThread();
        if (!thread.isVirtual()) {
            return allocateAddress(caches.local(), size);
        }
        ThreadCache cache = caches.lockShared(thread);
        try {
            return allocateAddress(cache, size);
        } finally {
            cache.lock.unlock();
        }
    }

    /** Frees a block by the address and size it was allocated with; checked as {@link #free(MemorySegment)}. */
    public void freeAddress(long address, long size) {
        Thread thread = Thread.currentThread();
        if (!thread.isVirtual()) {
            freeAddress(caches.local(), address, size);
            return;
        }
        ThreadCache cache = caches.lockShared(thread);
        try {
            freeAddress(cache, address, size);
        } finally {
            cache.lock.unlock();
        }
    }

    /**
     * A segment over a block allocated by address, in its chunk's scope, so that a stale view throws
     * rather than crashes. Refuses an address in no chunk of this allocator.
     */
    public MemorySegment segment(long address, long size) {
        checkOpen();
        Chunk chunk = ChunkMap.lookup(address);
        if (chunk == null || chunk.owner != this || address - chunk.base + size > chunk.length || size < 0) {
            throw Refusals.notFromHere(this, address, size, null, chunk);
        }
        return chunk.slice(address, size);
    }

    // ---- the engine: one thread cache in hand -------------------------------------------------

    MemorySegment allocate(ThreadCache cache, long size) {
        checkOpen();
        if (size < 0 || size > SizeClasses.MAX_SIZE) {
            return allocateLarge(size, 1);
        }
        return slice(cache, SizeClasses.classOf(size), size);
    }

    MemorySegment allocate(ThreadCache cache, long size, long alignment) {
        checkOpen();
        int sizeClass = classFor(size, alignment);
        if (sizeClass < 0) {
            return allocateLarge(size, alignment);
        }
        return slice(cache, sizeClass, size);
    }

    private MemorySegment slice(ThreadCache cache, int sizeClass, long size) {
        long address = cache.ring(sizeClass).take();
        Chunk chunk = ChunkMap.lookup(address);
        if (chunk.tracked()) {
            handOut(chunk, address, size);
        }
        MemorySegment segment = chunk.slice(address, size);
        return zeroed ? segment.fill((byte) 0) : segment;
    }

    long allocateAddress(ThreadCache cache, long size) {
        checkOpen();
        if (size < 0 || size > SizeClasses.MAX_SIZE) {
            return allocateLarge(size, 1).address();
        }
        return take(cache, SizeClasses.classOf(size), size);
    }

    private long take(ThreadCache cache, int sizeClass, long size) {
        long address = cache.ring(sizeClass).take();
        if (config.checkFrees() || zeroed) {
            Chunk chunk = ChunkMap.lookup(address);
            if (chunk.tracked()) {
                handOut(chunk, address, size);
            }
            if (zeroed) {
                chunk.slice(address, size).fill((byte) 0);
            }
        }
        return address;
    }

    /**
     * The bookkeeping of a tracked block leaving a ring: the debug poison check, the handed-out
     * size that free checks compare against, and the leak tracker's record.
     */
    private void handOut(Chunk chunk, long address, long size) {
        int index = chunk.blockIndex(address);
        if (debug) {
            Poison.check(chunk, index, size);
        }
        chunk.markHandedOut(index, size);
        if (leaks != null) {
            leaks.allocated(address, size);
        }
    }

    void free(ThreadCache cache, MemorySegment segment) {
        checkOpen();
        if (!segment.isNative()) {
            throw Refusals.heapSegment(segment);
        }
        long address = segment.address();
        long size = segment.byteSize();
        Chunk chunk = ChunkMap.lookup(address);
        if (chunk == null || chunk.owner != this) {
            throw Refusals.notFromHere(this, address, size, segment, chunk);
        }
        if (chunk.checked && !segment.scope().equals(chunk.scope)) {
            throw Refusals.foreignScope(address, size, chunk);
        }
        release(cache, chunk, address, size);
    }

    void freeAddress(ThreadCache cache, long address, long size) {
        checkOpen();
        Chunk chunk = ChunkMap.lookup(address);
        if (chunk == null || chunk.owner != this) {
            throw Refusals.notFromHere(this, address, size, null, chunk);
        }
        release(cache, chunk, address, size);
    }

    /** The shared tail of both frees: block checks, then the block goes to the ring (or a large one to the OS). */
    private void release(ThreadCache cache, Chunk chunk, long address, long size) {
        int index = chunk.blockIndex(address);
        if (index < 0) {
            throw Refusals.notBlockStart(address, size, chunk);
        }
        if (chunk.sizeClass == Chunk.LARGE) {
            freeLarge(chunk, address, size);
            return;
        }
        if (chunk.tracked()) {
            long allocated = chunk.handedOutSize(index);
            if (allocated < 0) {
                throw Refusals.doubleFree(address, size, chunk);
            }
            if (allocated != size) {
                throw Refusals.wrongSize(address, size, allocated);
            }
            chunk.markFree(index);
            if (debug) {
                Poison.fill(chunk, index);
            }
            if (leaks != null) {
                leaks.freed(address);
            }
        }
        cache.ring(chunk.sizeClass).put(address);
    }

    /** Size class for a request with an alignment, -1 for a large block; validates both. */
    private static int classFor(long size, long alignment) {
        if (alignment <= 0 || alignment > MAX_ALIGNMENT || (alignment & (alignment - 1)) != 0) {
            throw Refusals.badAlignment(alignment);
        }
        if (size < 0 || size > SizeClasses.MAX_SIZE) {
            return -1;
        }
        return SizeClasses.classOf(size, alignment);
    }

    // ---- large blocks: one mapping each -------------------------------------------------------

    private MemorySegment allocateLarge(long size, long alignment) {
        if (size < 0) {
            throw Refusals.negativeSize(size);
        }
        if (size > MAX_BLOCK) {
            throw Refusals.sizeTooLarge(size, MAX_BLOCK);
        }
        if (alignment <= 0 || alignment > MAX_ALIGNMENT || (alignment & (alignment - 1)) != 0) {
            throw Refusals.badAlignment(alignment);
        }
        Chunk chunk = source.mapLarge(size, alignment, false);
        if (chunk == null) {
            trimForMemory();
            chunk = source.mapLarge(size, alignment, true);
        }
        largeInuse.addAndGet(chunk.length);
        largeMallocs.incrementAndGet();
        if (leaks != null) {
            leaks.allocated(chunk.base, size);
        }
        return chunk.slice(chunk.base, size);
    }

    private void freeLarge(Chunk chunk, long address, long size) {
        if (size != chunk.largeSize) {
            throw Refusals.wrongSize(address, size, chunk.largeSize);
        }
        source.release(chunk);
        largeInuse.addAndGet(-chunk.length);
        largeFrees.incrementAndGet();
        if (leaks != null) {
            leaks.freed(address);
        }
    }

    // ---- caches, trim, stats, close -----------------------------------------------------------

    /**
     * The calling platform thread's cache, to hold for the tightest loops. Virtual threads share
     * striped caches and cannot hold one: they are refused.
     */
    public ThreadCache threadCache() {
        checkOpen();
        Thread thread = Thread.currentThread();
        if (thread.isVirtual()) {
            throw new IllegalStateException("threadCache(): " + thread + " is virtual; virtual threads share"
                    + " striped caches, so use allocate/free on the allocator itself");
        }
        return caches.local();
    }

    RingCache newRing(int sizeClass) {
        return new RingCache(centrals[sizeClass], caches, config.threadCaching());
    }

    /**
     * Reclaims the caches of ended threads, then gives back to the OS every chunk whose blocks
     * are all free in its central stack. Returns the bytes unmapped; {@code Sys} falls by as much.
     */
    public long trim() {
        checkOpen();
        return trimForMemory();
    }

    /**
     * {@link #trim()} for a mapping that the memory limit or the OS refused, before it tries again.
     * Must be called with no central stack's lock held: it takes each in turn.
     */
    long trimForMemory() {
        caches.reclaimEnded();
        long bytes = 0;
        for (CentralStack central : centrals) {
            bytes += central.trim();
        }
        AllocatorEvents.trim(bytes);
        return bytes;
    }

    /** Fills {@code stats} without allocating (after the first call sized its class rows). */
    public void readMemStats(MemStats stats) {
        checkOpen();
        caches.reclaimEnded();
        synchronized (classSums) {
            fill(stats, classSums);
        }
    }

    private void fill(MemStats stats, long[] sums) {
        stats.resetClasses(centrals.length);
        long inuse = largeInuse.get();
        long mallocs = largeMallocs.get();
        long frees = largeFrees.get();
        long cached = 0;
        long centralBytes = 0;
        for (int c = 0; c < centrals.length; c++) {
            long size = SizeClasses.size(c);
            caches.sumClass(c, sums);
            CentralStack central = centrals[c];
            stats.setClass(c, size, sums[0], sums[1], central.refills(), central.spills());
            mallocs += sums[0];
            frees += sums[1];
            inuse += (sums[0] - sums[1]) * size;
            cached += sums[2] * size;
            centralBytes += central.bytes();
        }
        stats.setSys(source.sys());
        stats.setInuse(inuse);
        stats.setMallocs(mallocs);
        stats.setFrees(frees);
        stats.setCached(cached);
        stats.setCentral(centralBytes);
        stats.setReleased(0);
        stats.setThreadCaches(caches.cacheCount());
    }

    /** Gives all memory back to the OS. Every segment of this allocator turns invalid. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            if (leaks != null) {
                String report = leakReport();
                if (!report.isEmpty()) {
                    System.getLogger("io.segpool.allocator.leaks").log(System.Logger.Level.WARNING, report);
                }
            }
            closed = true;
        }
        source.releaseAll();
        caches.releaseAll();
    }

    /**
     * The blocks still in use, with the allocation site of each tracked one (see
     * {@link AllocatorConfig#leakTracking()}); empty when none is in use. {@code close()} logs it
     * to the {@code System.Logger} {@code io.segpool.allocator.leaks} at WARNING.
     */
    public String leakReport() {
        checkOpen();
        MemStats stats = new MemStats();
        readMemStats(stats);
        long blocks = stats.mallocs() - stats.frees();
        if (leaks == null) {
            return stats.inuse() == 0 ? "" : "segpool leak report: " + blocks + " blocks (" + stats.inuse()
                    + " bytes) still in use; leak tracking is off: AllocatorConfig.withLeakTracking names their sites";
        }
        return leaks.report(stats.inuse(), blocks);
    }

    /** False once {@link #close()} has begun. */
    public boolean isOpen() {
        return !closed;
    }

    void checkOpen() {
        if (closed) {
            throw Refusals.closed();
        }
    }

    /** The central stack of a class; for tests in this package. */
    CentralStack central(int sizeClass) {
        return centrals[sizeClass];
    }
}
