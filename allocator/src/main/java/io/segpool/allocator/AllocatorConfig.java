package io.segpool.allocator;

/**
 * How a {@link NativeAllocator} is built. One validated record; start from {@link #defaults()}.
 *
 * @param checkFrees  refuse wrong frees (double free, a slice, a resized view, a forged segment)
 *                    before they change any state. On by default; off saves one per-block state
 *                    write on allocate and one read and write on free (the JMH benchmark
 *                    {@code AllocatorBenchmark} measures the difference). A segment from another
 *                    allocator or no allocator is refused either way.
 * @param memoryLimit the most bytes the allocator keeps mapped ({@code Sys}), or {@link #UNLIMITED}.
 *                    A request that needs a new mapping past it first runs {@link NativeAllocator#trim()}
 *                    (which also reclaims ended threads' caches) and tries again; if it still does not
 *                    fit, it throws {@link MemoryLimitException}, having changed nothing but what that
 *                    trim gave back. Concurrent mappings reserve their bytes first, so {@code Sys}
 *                    never passes the limit, even for a moment. Checked only where chunks are
 *                    mapped, never on a ring-cache hit. Memory is mapped in whole
 *                    chunks of 16 or more blocks of a class (16 MiB for the 1 MiB class), so a small
 *                    limit serves the large classes through few chunks or none.
 * @param threadCaching {@link ThreadCaching#BOUNDED} (the default); the others are ablations for benchmarks
 * @param leakTracking {@link LeakTracking#OFF} (the default), or keep allocation sites for
 *                    {@link NativeAllocator#leakReport()}, which {@code close()} also logs
 * @param zeroed      hand out blocks with their requested bytes zeroed, so no byte of a previous
 *                    owner is ever visible; off by default (blocks come as the last owner left them,
 *                    like {@code malloc}); costs a fill of the block on each allocation
 *                    ({@code AllocatorBenchmark.segpoolZeroed} measures it). Fresh chunks and large
 *                    blocks come zeroed from the OS either way.
 * @param debug       fill every freed block with {@link #POISON} and check it when the block is
 *                    handed out again: a write after free throws {@link IllegalStateException} naming
 *                    the block and where it was freed (a stack trace is taken on every free). Costs a
 *                    write of the whole block on free and a read of it on allocate; for tests and
 *                    debugging. Needs {@code checkFrees}, whose per-block state it extends. Large
 *                    blocks go straight back to the OS and are not poisoned.
 */
public record AllocatorConfig(boolean checkFrees, long memoryLimit, boolean debug, ThreadCaching threadCaching,
                              LeakTracking leakTracking, boolean zeroed) {

    /** Whether allocations keep where they were made, for {@link NativeAllocator#leakReport()}. */
    public enum LeakTracking {
        /** Nothing kept (the default). */
        OFF,
        /** One allocation in 128 keeps its stack trace until freed. */
        SAMPLED,
        /** Every allocation keeps its stack trace until freed. */
        EVERY
    }


    /**
     * How threads cache free blocks. Only {@link #BOUNDED} is segpool; the other two are the
     * designs it replaced, kept as switches on the same code so benchmarks can measure what the
     * rings buy.
     */
    public enum ThreadCaching {
        /** 32-slot rings trading 16-block batches with the central stacks. */
        BOUNDED,
        /** No thread cache: every allocate and free takes the class's central lock. */
        NONE,
        /** Rings that never give blocks back: a thread that only frees keeps them all. */
        UNBOUNDED
    }

    /** A {@link #memoryLimit()} of 0: {@code Sys} may grow as far as the OS allows. */
    public static final long UNLIMITED = 0;

    /** The word debug mode writes over freed blocks, repeated (little-endian in memory). */
    public static final long POISON = 0xDEADBEEF_DEADBEEFL;

    /**
     * Validates a configuration; {@link #defaults()} and the {@code with...} methods are the usual
     * way in.
     *
     * @throws NullPointerException if {@code threadCaching} or {@code leakTracking} is null
     * @throws IllegalArgumentException if {@code memoryLimit} is negative or below one chunk, or
     *         leak tracking or debug mode is on without {@code checkFrees}
     */
    public AllocatorConfig {
        java.util.Objects.requireNonNull(threadCaching, "threadCaching");
        java.util.Objects.requireNonNull(leakTracking, "leakTracking");
        if (leakTracking != LeakTracking.OFF && !checkFrees) {
            throw new IllegalArgumentException("leak tracking " + leakTracking + " needs checkFrees: it hooks the"
                    + " per-block bookkeeping that free checks keep");
        }
        if (memoryLimit < 0) {
            throw new IllegalArgumentException("memoryLimit " + memoryLimit
                    + " is negative: use a byte count, or AllocatorConfig.UNLIMITED (0)");
        }
        if (memoryLimit != UNLIMITED && memoryLimit < ChunkSource.CHUNK_ALIGNMENT) {
            throw new IllegalArgumentException("memoryLimit " + memoryLimit + " is below one chunk ("
                    + ChunkSource.CHUNK_ALIGNMENT + " bytes), so no block could ever be served");
        }
        if (debug && !checkFrees) {
            throw new IllegalArgumentException("debug mode needs checkFrees: it keeps where each block was freed"
                    + " beside the per-block state that free checks keep");
        }
    }

    /** {@return free checks on, no memory limit, debug mode off} */
    public static AllocatorConfig defaults() {
        return new AllocatorConfig(true, UNLIMITED, false, ThreadCaching.BOUNDED, LeakTracking.OFF, false);
    }

    /**
     * {@return this configuration with free checks on or off}
     *
     * @param value whether frees are checked; see {@link #checkFrees()}
     */
    public AllocatorConfig withCheckFrees(boolean value) {
        return new AllocatorConfig(value, memoryLimit, debug, threadCaching, leakTracking, zeroed);
    }

    /**
     * {@return this configuration with a cap on {@code Sys}}
     *
     * @param bytes the cap in bytes (at least 64 KiB), or {@link #UNLIMITED}
     */
    public AllocatorConfig withMemoryLimit(long bytes) {
        return new AllocatorConfig(checkFrees, bytes, debug, threadCaching, leakTracking, zeroed);
    }

    /**
     * {@return this configuration handing out every block zeroed (its requested bytes), or as its
     * last owner left it (the default)}
     *
     * @param value whether blocks are zeroed; see {@link #zeroed()}
     */
    public AllocatorConfig withZeroed(boolean value) {
        return new AllocatorConfig(checkFrees, memoryLimit, debug, threadCaching, leakTracking, value);
    }

    /**
     * {@return this configuration keeping allocation sites for leak reports, or not} Needs
     * {@code checkFrees}.
     *
     * @param value which allocations keep their site; see {@link LeakTracking}
     */
    public AllocatorConfig withLeakTracking(LeakTracking value) {
        return new AllocatorConfig(checkFrees, memoryLimit, debug, threadCaching, value, zeroed);
    }

    /**
     * {@return this configuration with another thread caching, an ablation for benchmarks}
     *
     * @param value how threads cache free blocks; see {@link ThreadCaching}
     */
    public AllocatorConfig withThreadCaching(ThreadCaching value) {
        return new AllocatorConfig(checkFrees, memoryLimit, debug, value, leakTracking, zeroed);
    }

    /**
     * {@return this configuration with debug mode on or off}
     *
     * @param value whether freed blocks are poisoned and checked; see {@link #debug()}
     */
    public AllocatorConfig withDebug(boolean value) {
        return new AllocatorConfig(checkFrees, memoryLimit, value, threadCaching, leakTracking, zeroed);
    }
}
