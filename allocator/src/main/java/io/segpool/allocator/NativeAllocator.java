package io.segpool.allocator;

import io.segpool.stats.MemStats;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An off-heap allocator of recycled native blocks. Requests up to {@link SizeClasses#MAX_SIZE}
 * are rounded up to a size class and served from the calling thread's ring cache (up to 32 blocks
 * and 256 KiB per class), which trades batches of half a ring with a per-class central stack;
 * larger requests get a mapping of their own, kept in a bounded cache of free spans when freed.
 *
 * <p>Two ways in, with the same checks:
 * <ul>
 *   <li>{@link #allocate(long)} / {@link #free(MemorySegment)}: a {@link MemorySegment} of exactly
 *   the requested size. Use this by default. The segment is one small heap object; where it does
 *   not escape the calling code (allocate, use, free in one method), the JIT removes it and the
 *   pair allocates nothing on the heap.
 *   <li>{@link #allocateAddress(long)} / {@link #freeAddress(long, long)}: a raw address, for
 *   handing blocks across threads through a {@code long} (a Disruptor event, a queue of longs)
 *   with no heap object at all. View the block with {@link #segment(long, long)}: a few
 *   instructions, and no object either where the view does not escape.
 * </ul>
 *
 * <p>Every class block is a slice of one segment over this allocator's reservation, so every
 * segment it hands out turns invalid together at {@link #close()}: a segment used after close
 * throws {@link IllegalStateException}, and nothing handed out can touch unmapped memory.
 * {@link #trim()} gives free chunks' pages back to the OS but keeps them mapped: a stale segment
 * over a trimmed block reads zeros, never faults.
 *
 * <p>This is a {@link SegmentAllocator}, not an {@link java.lang.foreign.Arena}: blocks are
 * recycled, so a segment's memory is not zeroed and its address may be handed out again after a
 * free. Any call after {@code close()} throws {@link IllegalStateException}.
 */
public final class NativeAllocator implements SegmentAllocator, AutoCloseable, io.segpool.stats.MemStatsSource {

    /** The largest block that {@link #allocate(long)} maps (64 TiB): larger requests are refused. */
    public static final long MAX_BLOCK = SizeClasses.MAX_BLOCK;
    /** The largest alignment accepted (1 GiB). */
    public static final long MAX_ALIGNMENT = SizeClasses.MAX_ALIGNMENT;
    /** The largest request served from a size class (1 MiB); larger ones are large blocks. */
    public static final long MAX_CLASS_SIZE = SizeClasses.MAX_SIZE;
    /**
     * The most free blocks one thread keeps for any size class: 32, for classes up to 8 KiB; a
     * larger class's ring holds fewer, so that it holds at most 256 KiB (or one block, when a
     * block is larger). The figure of each class is {@code MemStats.classRingCapacity}.
     */
    public static final int MAX_RING_CAPACITY = SizeClasses.RING_CAPACITY;
    /**
     * The most blocks a ring takes from or gives to its central stack at once: 16, half the
     * largest ring; a class's own batch is half its ring, at least one ({@code MemStats.classBatch}).
     */
    public static final int MAX_BATCH = CentralStack.BATCH;
    private static final AtomicInteger SERIAL = new AtomicInteger();

    private static final VarHandle CACHE_TABLE;

    static {
        try {
            CACHE_TABLE = MethodHandles.lookup().findVarHandle(NativeAllocator.class, "cacheTable", ThreadCache[].class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final AllocatorConfig config;
    private final String name;
    /** True for {@link #global()}: never closed. */
    private final boolean global;
    final Heap heap;
    final CacheRegistry caches;
    private final CentralStack[] centrals;
    final LargeBlocks large;
    private final Liveness live = new Liveness();
    private final Trimmer trimmer;
    private final BlockChecks checks;
    /**
     * {@link CacheRegistry#TAKE_SLOW} and {@link CacheRegistry#RELEASE_SLOW}, in instance fields:
     * the JIT does not trust an instance field to be constant, so it calls the handles rather than
     * inlining their targets (see {@link CacheRegistry#TAKE_SLOW} for why that is wanted).
     */
    private final MethodHandle takeSlow = CacheRegistry.TAKE_SLOW;
    private final MethodHandle releaseSlow = CacheRegistry.RELEASE_SLOW;
    /**
     * A mirror of {@link CacheRegistry}'s cache table (platform threads' caches by thread id),
     * which the registry owns and publishes here with a release store, so that the hot path's
     * {@link #lookup()} is one plain load from this object. A stale table only sends a thread to
     * the slow path, which reads the registry's own.
     */
    private ThreadCache[] cacheTable;
    /** The release thread of {@link AllocatorConfig#releaseAfter()}, or null; set once by create. */
    private BackgroundRelease backgroundRelease;
    /** Set by the {@link #close()} that unmapped everything; guarded by this. */
    private boolean unmapped;
    /** Scratch for {@link #readMemStats}, which holds its monitor so that the read makes no garbage. */
    private final long[] classSums = new long[3];

    /**
     * Builds the rooms bottom up: the memory layer (the budget, the heap), the checks, then the
     * central stacks and the large spans (which see the trimmer only as {@link MemoryPressure}),
     * then the caches above them. Nothing below this class holds a reference to it.
     */
    private NativeAllocator(AllocatorConfig config, MemoryMapper mapper, boolean global) {
        this.config = config;
        this.global = global;
        this.name = config.name() != null ? config.name() : "segpool-" + SERIAL.incrementAndGet();
        MemoryBudget budget = new MemoryBudget(name, config.memoryLimit());
        this.heap = new Heap(mapper, budget, Heap.heapFor(config.memoryLimit()), global);
        this.checks = new BlockChecks(heap, config, mapper);
        CachedBytes cached = new CachedBytes(config.cachedBytesLimit());
        this.trimmer = new Trimmer(name, cached);
        Rooms rooms = new Rooms(name, live, trimmer, cached, checks);
        this.centrals = new CentralStack[SizeClasses.count()];
        for (int c = 0; c < centrals.length; c++) {
            centrals[c] = new CentralStack(heap, c, rooms);
        }
        this.large = new LargeBlocks(heap, new SpanSource(heap, mapper, budget), config, rooms);
        this.caches = new CacheRegistry(heap, BlockChecks.mode(config), rooms, centrals, large, this::publishCacheTable);
        trimmer.bind(centrals, large, caches);
        this.backgroundRelease = BackgroundRelease.start(config.releaseAfter(), rooms, caches, large, centrals);
    }

    /**
     * An allocator with {@link AllocatorConfig#defaults()}.
     *
     * @return a new allocator; close it to give its memory back
     */
    public static NativeAllocator create() {
        return create(AllocatorConfig.defaults());
    }

    /**
     * An allocator built as {@code config} says.
     *
     * @param config the settings
     * @return a new allocator; close it to give its memory back
     */
    public static NativeAllocator create(AllocatorConfig config) {
        return create(config, OsMemory.INSTANCE);
    }

    /** An allocator that maps through {@code mapper} instead of the OS; for tests that make mapping fail. */
    static NativeAllocator create(AllocatorConfig config, MemoryMapper mapper) {
        NativeAllocator allocator = new NativeAllocator(Objects.requireNonNull(config, "config"),
                Objects.requireNonNull(mapper, "mapper"), false);
        OpenHeaps.add(allocator.heap);
        return allocator;
    }

    /** The process-wide allocator's construction; only {@link GlobalAllocator} calls it, once. */
    static NativeAllocator createGlobal(AllocatorConfig config) {
        NativeAllocator allocator = new NativeAllocator(config, OsMemory.INSTANCE, true);
        OpenHeaps.add(allocator.heap);
        return allocator;
    }

    /**
     * The process-wide allocator, as {@link java.lang.foreign.Arena#global()} is the process-wide
     * arena: made on the first call, never closed ({@link #close()} throws), the same instance
     * for every caller. Hold it in a {@code static final} field
     * ({@code static final NativeAllocator ALLOCATOR = NativeAllocator.global();}): the JIT then
     * treats it as a constant. Its heap segment is in the global scope, which is always alive, so
     * no access to one of its blocks pays a liveness check. Use {@link #create()} for allocators
     * that close, or several with different settings.
     *
     * <p>It is configured once, by system properties read at the first call (later changes are
     * not seen): {@code segpool.global.name} (default {@code segpool-global}),
     * {@code segpool.global.memoryLimit} (bytes, with an optional {@code k}, {@code m} or
     * {@code g}; default none), {@code segpool.global.checkFrees} ({@code true} or
     * {@code false}; default {@code true}) and {@code segpool.global.releaseAfter} (an ISO-8601
     * duration such as {@code PT1S}, or {@code off}, the default). Everything else is
     * {@link AllocatorConfig#defaults()}.
     *
     * @return the process-wide allocator
     * @throws IllegalArgumentException if a {@code segpool.global.*} property has a bad value
     *         (every call throws it, naming the property, the value and the rule)
     */
    public static NativeAllocator global() {
        return GlobalAllocator.get();
    }

    /**
     * The settings this allocator was built with.
     *
     * @return its config
     */
    public AllocatorConfig config() {
        return config;
    }

    /**
     * This allocator's name: {@link AllocatorConfig#name()}, or {@code segpool-N} (N counting the
     * allocators this JVM made) when the config has none. JMX, JFR and metrics report it.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * The bytes a request of {@code size} bytes actually takes: its size class's block size, or
     * for a large block the size rounded as large blocks are mapped.
     *
     * @param size a request size, 0 to {@link #MAX_BLOCK}
     * @return the bytes of the block that serves it
     * @throws IllegalArgumentException if {@code size} is negative or above {@link #MAX_BLOCK}
     */
    public static long blockSize(long size) {
        if (size < 0 || size > MAX_BLOCK) {
            throw new IllegalArgumentException("blockSize(" + size + "): a size must be 0 to " + MAX_BLOCK + " bytes");
        }
        return size <= SizeClasses.MAX_SIZE ? SizeClasses.size(SizeClasses.classOf(size)) : LargeBlocks.spanBytes(size);
    }
    /**
     * The bytes a request of {@code size} bytes on an {@code alignment} boundary actually takes,
     * as {@link #allocate(long, long)} serves it: the smallest size class whose blocks hold it and
     * start on that boundary, or for a large block the size rounded as large blocks are mapped.
     *
     * @param size a request size, 0 to {@link #MAX_BLOCK}
     * @param alignment a power of two up to {@link #MAX_ALIGNMENT}
     * @return the bytes of the block that serves it
     * @throws IllegalArgumentException if {@code size} or {@code alignment} is out of range
     */
    public static long blockSize(long size, long alignment) {
        blockSize(size); // the size's range
        int sizeClass = SizeClasses.classFor(size, alignment);
        return sizeClass >= 0 ? SizeClasses.size(sizeClass) : LargeBlocks.spanBytes(size);
    }


    // ---- the calling thread's cache, then the engine ------------------------------------------
    //
    // Each call finds the calling platform thread's cache inline (lookup()) and runs
    // the engine on it. Everything else (a virtual thread, which takes a stripe; a thread's first
    // call) goes through CacheRegistry.takeSlow/releaseSlow, which pass and return only primitives: a segment
    // never crosses a call that the JIT might not inline, so escape analysis can remove it on
    // both paths, whatever order the methods were compiled in. Every method a segment passes
    // through (allocate, free, segment and the helpers they hand it to) is at most 35 bytes of
    // bytecode, C2's MaxInlineSize, which it inlines at any call site, hot or not: a larger one is
    // inlined only where the profile says the call is hot, and a callee compiled on its own first
    // freezes the profile that says so (HeapAllocationTest, VirtualThreadBenchmark -prof gc).

    /**
     * {@code size} bytes, 16-byte aligned, not zeroed.
     *
     * @param size the bytes wanted, 0 to {@link #MAX_BLOCK}
     * @return a segment of exactly {@code size} bytes
     * @throws IllegalArgumentException if {@code size} is negative or above {@link #MAX_BLOCK}
     * @throws MemoryLimitException if the block would take {@code Sys - Released} past the memory limit
     * @throws OutOfMemoryError if the OS refuses the memory, even after a trim
     * @throws IllegalStateException if this allocator is closed, or (on a virtual thread) every
     *         cache virtual threads share has been held by the same live threads for 5 s
     */
    @Override
    public MemorySegment allocate(long size) {
        if (Long.compareUnsigned(size, SizeClasses.MAX_SIZE) > 0) {
            return allocateLarge(size, 1);
        }
        return slice(take(SizeClasses.classOf(size), size), size);
    }

    /**
     * {@code size} bytes on an {@code alignment} boundary, not zeroed.
     *
     * @param size the bytes wanted, 0 to {@link #MAX_BLOCK}
     * @param alignment a power of two up to {@link #MAX_ALIGNMENT}
     * @return a segment of exactly {@code size} bytes
     * @throws IllegalArgumentException if {@code size} or {@code alignment} is out of range
     * @throws MemoryLimitException if the block would take {@code Sys - Released} past the memory limit
     * @throws OutOfMemoryError if the OS refuses the memory, even after a trim
     * @throws IllegalStateException if this allocator is closed, or (on a virtual thread) every
     *         cache virtual threads share has been held by the same live threads for 5 s
     */
    @Override
    public MemorySegment allocate(long size, long alignment) {
        int sizeClass = SizeClasses.classFor(size, alignment);
        return sizeClass < 0 ? allocateLarge(size, alignment) : slice(take(sizeClass, size), size);
    }

    /**
     * Frees a segment that this allocator returned, unchanged. Refused, with nothing changed: a
     * segment from elsewhere, a slice or resized view of a block, a block already free.
     *
     * @param segment a segment {@link #allocate(long)} returned
     * @throws IllegalArgumentException if the segment is not a block of this allocator as handed out
     * @throws IllegalStateException if the block is already free, or this allocator is closed
     */
    public void free(MemorySegment segment) {
        if (inHeap(segment)) {
            releaseHeapBlock(segment.address(), segment.byteSize());
        } else {
            freeLarge(segment);
        }
    }

    /** True when {@code segment} is a slice of the heap segment (its scope is the heap's). */
    private boolean inHeap(MemorySegment segment) {
        return segment.scope() == heapSegment().scope();
    }

    /** The free of a heap segment, by its address and size: no segment past this point. */
    private void releaseHeapBlock(long address, long size) {
        long offset = address - base();
        if (heapRoom().pastTop(offset)) {
            throw checks.refuseFree(offset, size); // past the committed heap: only reinterpret makes such a segment
        }
        ThreadCache cache = lookup();
        if (cache != null) {
            cache.release(offset, size);
        } else {
            releaseSlow(offset, size);
        }
    }

    private MemorySegment allocateLarge(long size, long alignment) {
        return large.allocate(size, alignment);
    }

    private void freeLarge(MemorySegment segment) {
        large.free(segment);
    }

    /** A block of {@code sizeClass} from the calling thread's cache (or a stripe); its heap offset. */
    private long take(int sizeClass, long size) {
        ThreadCache cache = lookup();
        return cache != null ? cache.take(sizeClass, size) : takeSlow(sizeClass, size);
    }

    /**
     * Like {@link #allocate(long)}, returning the block's address and making no heap object.
     *
     * @param size the bytes wanted, 0 to {@link #MAX_BLOCK}
     * @return the address of a 16-byte aligned block of at least {@code size} bytes
     * @throws IllegalArgumentException if {@code size} is negative or above {@link #MAX_BLOCK}
     * @throws MemoryLimitException if the block would take {@code Sys - Released} past the memory limit
     * @throws OutOfMemoryError if the OS refuses the memory, even after a trim
     * @throws IllegalStateException if this allocator is closed, or (on a virtual thread) every
     *         cache virtual threads share has been held by the same live threads for 5 s
     */
    public long allocateAddress(long size) {
        if (Long.compareUnsigned(size, SizeClasses.MAX_SIZE) > 0) {
            return large.allocate(size, 1).address();
        }
        return base() + take(SizeClasses.classOf(size), size);
    }

    /**
     * Frees a block by the address and size it was allocated with; checked as {@link #free(MemorySegment)}.
     *
     * @param address the address {@link #allocateAddress(long)} returned
     * @param size the size it was allocated with
     * @throws IllegalArgumentException if no block of this allocator starts there with that size
     * @throws IllegalStateException if the block is already free, or this allocator is closed
     */
    public void freeAddress(long address, long size) {
        long offset = address - base();
        if (heapRoom().pastTop(offset)) {
            large.freeAddress(address, size);
            return;
        }
        ThreadCache cache = lookup();
        if (cache != null) {
            cache.release(offset, size);
        } else {
            releaseSlow(offset, size);
        }
    }

    /**
     * Allocates {@code count} blocks of {@code size} bytes and writes their addresses to
     * {@code addresses[offset..offset+count)}: the blocks come from the calling thread's ring in
     * runs, one count update per run rather than a call per block. All or nothing: when a refill
     * is refused part way, the blocks taken so far go back and the refusal is thrown. Each block
     * is as {@link #allocateAddress(long)}'s; free them with {@link #freeBatch} or one by one.
     * Batches are for the size classes: a larger block is allocated alone.
     *
     * @param size the bytes of every block, 0 to {@link #MAX_CLASS_SIZE}
     * @param addresses where the blocks' addresses go
     * @param offset the first index written
     * @param count how many blocks
     * @throws IllegalArgumentException if {@code size} is negative or above {@link #MAX_CLASS_SIZE}
     * @throws IndexOutOfBoundsException if {@code offset} and {@code count} do not lie within {@code addresses}
     * @throws MemoryLimitException if a block would take {@code Sys - Released} past the memory limit
     * @throws OutOfMemoryError if the OS refuses the memory, even after a trim
     * @throws IllegalStateException if this allocator is closed, or (on a virtual thread) every
     *         cache virtual threads share has been held by the same live threads for 5 s
     */
    public void allocateBatch(long size, long[] addresses, int offset, int count) {
        ThreadCache cache = lookup();
        if (cache != null) {
            Batches.allocate(cache, size, addresses, offset, count);
        } else {
            caches.batchSlow(true, size, addresses, offset, count);
        }
    }

    /**
     * Frees {@code count} blocks of {@code size} bytes by the addresses in
     * {@code addresses[offset..offset+count)}, from any thread, with the checks of
     * {@link #freeAddress(long, long)} on every block. All or none: a wrong address anywhere (not
     * a block of this allocator, an interior, a block of another size or class, a free block, one
     * named twice) refuses the whole batch with the exception a single free would throw, and no
     * block changes.
     *
     * @param size the size every block was allocated with, 0 to {@link #MAX_CLASS_SIZE}
     * @param addresses the blocks' addresses
     * @param offset the first index read
     * @param count how many blocks
     * @throws IllegalArgumentException if any address is not a block of this allocator handed out
     *         with {@code size} bytes in the size's class, or {@code size} is out of range
     * @throws IndexOutOfBoundsException if {@code offset} and {@code count} do not lie within {@code addresses}
     * @throws IllegalStateException if a block is already free (or named twice), or this allocator is closed
     */
    public void freeBatch(long size, long[] addresses, int offset, int count) {
        ThreadCache cache = lookup();
        if (cache != null) {
            Batches.free(cache, size, addresses, offset, count);
        } else {
            caches.batchSlow(false, size, addresses, offset, count);
        }
    }

    /** The heap segment; a constant for the global allocator, as {@code ThreadCache.heapSegment()} explains. */
    private MemorySegment heapSegment() {
        return global ? GlobalAllocator.HEAP : heap.all;
    }

    /** The heap's room, a constant for the global allocator as {@link #heapSegment()} is. */
    private Heap heapRoom() {
        return global ? GlobalAllocator.HEAP_ROOM : heap;
    }

    /** The heap's base address, as {@link #heapRoom()} reads it. */
    private long base() {
        return global ? GlobalAllocator.BASE : heap.base;
    }

    /** Hop (not inlined, by design): {@code takeSlow} is {@link CacheRegistry#takeSlow(int, long)}. */
    private long takeSlow(int sizeClass, long size) {
        try {
            return (long) takeSlow.invokeExact(caches, sizeClass, size);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Hop (not inlined, by design): {@code releaseSlow} is {@link CacheRegistry#releaseSlow(long, long)}. */
    private void releaseSlow(long offset, long size) {
        try {
            releaseSlow.invokeExact(caches, offset, size);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * The calling platform thread's cache when it sits in its first table slot (almost always),
     * else null: the hot path's lookup, one load of the table, one of the slot, one compare.
     */
    ThreadCache lookup() {
        Thread thread = Thread.currentThread();
        ThreadCache[] slots = cacheTable;
        ThreadCache cache = slots[(int) thread.threadId() & (slots.length - 1)];
        return cache != null && cache.owner == thread ? cache : null;
    }

    void publishCacheTable(ThreadCache[] table) {
        CACHE_TABLE.setRelease(this, table);
    }

    ThreadCache[] cacheTableAcquire() {
        return (ThreadCache[]) CACHE_TABLE.getAcquire(this);
    }

    /**
     * A segment over {@code size} bytes at {@code address}, for a block allocated by address: a
     * slice of the allocator's heap segment, so it throws after {@link #close()} rather than
     * crash. The view must lie inside one class block (its block size, {@link #blockSize}), and
     * that block must be handed out (with {@link AllocatorConfig#checkFrees()} off no state is
     * kept: inside one block); a large block's view must lie within the size it was allocated
     * with. For a block start of a class of 64 B or more, one load of the block's state and a
     * compare; elsewhere the slow path finds the block from the class table. No object where the
     * view does not escape.
     *
     * @param address an address inside a block of this allocator
     * @param size the bytes to view; the view must end inside the same block
     * @return a segment over those bytes
     * @throws IllegalArgumentException if no handed-out block of this allocator holds
     *         {@code address} (never allocated, free, or another allocator's), or the view would
     *         reach past the end of that block (into a neighbour), or {@code size} is negative
     * @throws IllegalStateException if this allocator is closed
     */
    public MemorySegment segment(long address, long size) {
        return viewsHeapBlock(address, size) ? slice(address - base(), size) : large.segment(address, size);
    }

    /** True when {@code size} bytes at {@code address} lie in one handed-out class block (the fast test). */
    private boolean viewsHeapBlock(long address, long size) {
        Heap room = heapRoom();
        long offset = address - base();
        return Long.compareUnsigned(offset, room.top()) < 0 && size >= 0 && size <= room.handedOutAt(offset);
    }

    /** The heap segment's slice of {@code size} bytes at heap {@code offset}. */
    private MemorySegment slice(long offset, long size) {
        return heapSegment().asSlice(offset, size);
    }

    /**
     * The calling platform thread's cache, to hold for the tightest loops. Virtual threads share
     * striped caches and cannot hold one: they are refused (use {@link #borrowCache()}).
     *
     * @return the calling thread's own cache
     * @throws IllegalStateException if the caller is a virtual thread, or this allocator is closed
     */
    public ThreadCache threadCache() {
        checkOpen();
        Thread thread = Thread.currentThread();
        if (thread.isVirtual()) {
            throw new IllegalStateException("threadCache(): " + thread + " is virtual; virtual threads share"
                    + " striped caches: use borrowCache() for a scope, or allocate/free on the allocator itself");
        }
        return caches.current();
    }

    /**
     * A cache for the calling thread to use until it closes it, for a run of allocations in a
     * scope: {@code try (ThreadCache cache = allocator.borrowCache()) { ... }}. A virtual thread
     * gets one of the striped caches that virtual threads share, for itself until {@code close()}
     * (no flag to take per call); a platform thread gets its own cache, and closing it does nothing.
     * Borrow for short, non-blocking work: while a virtual thread holds a stripe, others use the
     * remaining ones, and when every stripe is borrowed they wait.
     *
     * @return a cache for the calling thread until it closes it
     * @throws IllegalStateException if this allocator is closed
     */
    public ThreadCache borrowCache() {
        checkOpen();
        return caches.current();
    }

    // ---- for tests in this package ------------------------------------------------------------

    CentralStack central(int sizeClass) {
        return centrals[sizeClass];
    }

    void checkOpen() {
        live.check();
    }

    // ---- trim, stats, close -------------------------------------------------------------------

    /**
     * Reclaims the caches of ended threads, gives back to the OS the pages of every chunk whose
     * blocks are all free in its central stack, and unmaps the free large blocks kept for reuse.
     * Chunk pages are released with {@code madvise}: {@code Released} grows by as much and
     * {@code Sys} stays (the range stays mapped, reads zeros, and is reused first); large blocks
     * leave {@code Sys}. Blocks in live threads' rings stay there: see {@link ThreadCache#flush()}.
     *
     * @return the bytes given back: released chunk bytes plus unmapped large-block bytes
     * @throws IllegalStateException if this allocator is closed
     */
    public long trim() {
        checkOpen();
        return trimmer.trimForMemory();
    }

    /**
     * Fills {@code stats} without allocating (after the first call sized its class rows).
     *
     * @param stats the snapshot to overwrite
     * @throws IllegalStateException if this allocator is closed
     */
    public void readMemStats(MemStats stats) {
        checkOpen();
        caches.reclaimEnded();
        synchronized (classSums) {
            MemStatsReader.fill(stats, classSums, centrals, caches, heap, large);
        }
    }

    /**
     * Gives all memory back to the OS. Every segment of this allocator turns invalid, and once it
     * returns nothing of this allocator is mapped. Idempotent: a call after a successful close
     * does nothing.
     *
     * <p>The JDK refuses to close an arena while a downcall holds one of its segments (a view of
     * a block inside a blocking NIO write, for example). Then close() throws
     * {@link IllegalStateException} saying so, with the allocator already closed to new work
     * ({@link #isOpen()} is false; a refill, spill, large block, trim or stats read is refused;
     * a block already in a thread's ring may still be handed out, and is mapped memory) and what
     * could not be unmapped still mapped and counted: call close() again once the downcall has
     * returned, and it finishes the job.
     *
     * @throws IllegalStateException if memory of this allocator is held by a downcall, or the OS
     *         refused an unmap: the allocator stays closed to new work and close() can be retried
     * @throws UnsupportedOperationException if this is the {@link #global()} allocator
     */
    @Override
    public void close() {
        if (global) {
            throw new UnsupportedOperationException("close(): the global allocator " + name + " is never closed,"
                    + " as Arena.global() is not; trim() gives its free memory back");
        }
        synchronized (this) {
            if (unmapped) {
                return;
            }
            if (live.isOpen()) {
                if (checks.leaks() != null) {
                    String report = leakReport();
                    if (!report.isEmpty()) {
                        System.getLogger("io.segpool.allocator.leaks").log(System.Logger.Level.WARNING, report);
                    }
                }
                live.close();
            }
        }
        if (backgroundRelease != null) {
            backgroundRelease.stop();
        }
        RuntimeException failure = null;
        try {
            large.releaseAll();
        } catch (RuntimeException e) {
            failure = e;
        }
        try {
            heap.close();
        } catch (RuntimeException e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        if (failure != null) {
            throw Refusals.closeIncomplete(name, failure);
        }
        synchronized (this) {
            unmapped = true;
        }
        OpenHeaps.remove(heap);
        caches.releaseAll();
    }

    /**
     * The blocks still in use, with the allocation site of each tracked one (see
     * {@link AllocatorConfig#leakTracking()}); empty when none is in use. {@code close()} logs it
     * to the {@code System.Logger} {@code io.segpool.allocator.leaks} at WARNING.
     *
     * @return the report, or an empty string
     * @throws IllegalStateException if this allocator is closed
     */
    public String leakReport() {
        MemStats stats = new MemStats();
        readMemStats(stats);
        return LeakTracker.report(checks.leaks(), stats);
    }

    /** The background release thread, or null; for tests. */
    Thread backgroundReleaseThread() {
        return backgroundRelease == null ? null : backgroundRelease.thread();
    }

    /**
     * Whether this allocator is open.
     *
     * @return false once {@link #close()} has begun
     */
    public boolean isOpen() {
        return live.isOpen();
    }
}
