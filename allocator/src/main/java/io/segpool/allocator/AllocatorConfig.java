package io.segpool.allocator;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * How a {@link NativeAllocator} is built: an immutable value, validated as it is made. Start from
 * {@link #defaults()} and change what you need with the {@code with...} methods, each of which
 * returns a new config; there is no public constructor, so a setting added later breaks no caller.
 *
 * <pre>{@code
 * AllocatorConfig config = AllocatorConfig.defaults()
 *         .withName("orders")
 *         .withMemoryLimit(1L << 30);
 * }</pre>
 */
public final class AllocatorConfig {

    /** Whether allocations keep where they were made, for {@link NativeAllocator#leakReport()}. */
    public enum LeakTracking {
        /** Nothing kept (the default). */
        OFF,
        /** One allocation in 128 keeps its stack trace until freed. */
        SAMPLED,
        /** Every allocation keeps its stack trace until freed. */
        EVERY
    }

    /** A {@link #memoryLimit()} of 0: {@code Sys} may grow as far as the OS allows. */
    public static final long UNLIMITED = 0;

    /** The word debug mode writes over freed blocks, repeated (little-endian in memory). */
    public static final long POISON = 0xDEADBEEF_DEADBEEFL;

    /**
     * The default {@link #largeCacheBytes()}: 64 MiB, room for four free 16 MiB buffers or
     * thirty-two of 2 MiB, so that a buffer pool's steady churn of large blocks never reaches the OS.
     * With a memory limit, at most a quarter of it.
     */
    public static final long DEFAULT_LARGE_CACHE = 64L << 20;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final AllocatorConfig DEFAULTS = new AllocatorConfig(new Draft());

    private final String name;
    private final boolean checkFrees;
    private final long memoryLimit;
    private final boolean debug;
    private final LeakTracking leakTracking;
    private final boolean zeroed;
    /** -1: the default, which depends on the memory limit. */
    private final long largeCacheBytes;
    private final Duration releaseAfter;
    private final long cachedBytesLimit;

    /**
     * The settings of a config being made: a copy of one config, changed by one wither, then
     * validated whole by the constructor, the one place every rule is checked.
     */
    private static final class Draft {
        String name;
        boolean checkFrees = true;
        long memoryLimit = UNLIMITED;
        boolean debug;
        LeakTracking leakTracking = LeakTracking.OFF;
        boolean zeroed;
        long largeCacheBytes = -1;
        Duration releaseAfter;
        long cachedBytesLimit = UNLIMITED;

        Draft() {
        }

        Draft(AllocatorConfig c) {
            name = c.name;
            checkFrees = c.checkFrees;
            memoryLimit = c.memoryLimit;
            debug = c.debug;
            leakTracking = c.leakTracking;
            zeroed = c.zeroed;
            largeCacheBytes = c.largeCacheBytes;
            releaseAfter = c.releaseAfter;
            cachedBytesLimit = c.cachedBytesLimit;
        }
    }

    /** Validates every setting, each refusal naming it, and makes the config. */
    private AllocatorConfig(Draft d) {
        if (d.name != null && !NAME.matcher(d.name).matches()) {
            throw new IllegalArgumentException("name \"" + d.name + "\" must be 1 to 64 letters, digits, '.', '_' or"
                    + " '-': it goes unquoted into JMX ObjectNames, JFR events and metric tags");
        }
        if (d.memoryLimit < 0) {
            throw new IllegalArgumentException("memoryLimit " + d.memoryLimit
                    + " is negative: use a byte count, or AllocatorConfig.UNLIMITED (0)");
        }
        if (d.memoryLimit != UNLIMITED && d.memoryLimit < SizeClasses.CHUNK_ALIGNMENT) {
            throw new IllegalArgumentException("memoryLimit " + d.memoryLimit + " is below one chunk ("
                    + SizeClasses.CHUNK_ALIGNMENT + " bytes), so no block could ever be served");
        }
        if (d.leakTracking != LeakTracking.OFF && !d.checkFrees) {
            throw new IllegalArgumentException("leakTracking " + d.leakTracking + " needs checkFrees: it hooks the"
                    + " per-block bookkeeping that free checks keep");
        }
        if (d.debug && !d.checkFrees) {
            throw new IllegalArgumentException("debug mode needs checkFrees: it keeps where each block was freed"
                    + " beside the per-block state that free checks keep");
        }
        if (d.largeCacheBytes < -1) {
            throw new IllegalArgumentException("largeCacheBytes " + d.largeCacheBytes
                    + " is negative: use a byte count, or 0 to give every large block straight back to the OS");
        }
        if (d.releaseAfter != null && (d.releaseAfter.compareTo(Duration.ofMillis(1)) < 0
                || d.releaseAfter.compareTo(Duration.ofDays(1)) > 0)) {
            throw new IllegalArgumentException("releaseAfter " + d.releaseAfter + " must be 1 ms to 1 day, or null"
                    + " for no background release");
        }
        if (d.cachedBytesLimit < 0) {
            throw new IllegalArgumentException("cachedBytesLimit " + d.cachedBytesLimit
                    + " is negative: use a byte count, or AllocatorConfig.UNLIMITED (0)");
        }
        this.name = d.name;
        this.checkFrees = d.checkFrees;
        this.memoryLimit = d.memoryLimit;
        this.debug = d.debug;
        this.leakTracking = Objects.requireNonNull(d.leakTracking, "leakTracking");
        this.zeroed = d.zeroed;
        this.largeCacheBytes = d.largeCacheBytes;
        this.releaseAfter = d.releaseAfter;
        this.cachedBytesLimit = d.cachedBytesLimit;
    }

    /** This config with one change, validated with every other setting. */
    private AllocatorConfig with(Consumer<Draft> change) {
        Draft draft = new Draft(this);
        change.accept(draft);
        return new AllocatorConfig(draft);
    }

    /**
     * The defaults: free checks on, no memory limit, no debug, no leak tracking, blocks not
     * zeroed, a 64 MiB cache of free large blocks, and a name picked at creation.
     *
     * @return the default configuration
     */
    public static AllocatorConfig defaults() {
        return DEFAULTS;
    }

    /**
     * The allocator's name, or null for one picked when it is created ({@code segpool-1},
     * {@code segpool-2}, ...; see {@link NativeAllocator#name()}).
     *
     * @return the name set with {@link #withName}, or null
     */
    public String name() {
        return name;
    }

    /**
     * Whether wrong frees (double free, a slice, a resized view, a forged address) are refused
     * before they change any state. On by default; off saves one per-block state write on
     * allocate and one read and write on free. A segment from another allocator or from no
     * allocator is refused either way.
     *
     * @return true when frees are checked
     */
    public boolean checkFrees() {
        return checkFrees;
    }

    /**
     * The most bytes the allocator keeps mapped and not released ({@code Sys - Released}), or
     * {@link #UNLIMITED}. A request that needs new memory past it first runs
     * {@link NativeAllocator#trim()} and tries again; if it still does not fit it throws
     * {@link MemoryLimitException}, having changed nothing but what that trim gave back. Checked
     * only where memory is mapped or reused, never on a ring-cache hit.
     *
     * @return the limit in bytes, or {@link #UNLIMITED}
     */
    public long memoryLimit() {
        return memoryLimit;
    }

    /**
     * Whether every freed block is filled with {@link #POISON} and checked when handed out again:
     * a write after free then throws {@link IllegalStateException} naming the block and where it
     * was freed. Costs a write of the whole block on free and a read on allocate; for tests and
     * debugging. Large blocks are not poisoned.
     *
     * @return true in debug mode
     */
    public boolean debug() {
        return debug;
    }

    /**
     * Whether allocation sites are kept for {@link NativeAllocator#leakReport()}.
     *
     * @return the leak tracking mode
     */
    public LeakTracking leakTracking() {
        return leakTracking;
    }

    /**
     * Whether blocks are handed out with their requested bytes zeroed, so that no byte of a
     * previous owner is ever visible. Off by default (blocks come as their last owner left them,
     * like {@code malloc}); costs a fill of the block on each allocation.
     *
     * @return true when blocks are zeroed
     */
    public boolean zeroed() {
        return zeroed;
    }

    /**
     * The most bytes of free large blocks (above {@link NativeAllocator#MAX_CLASS_SIZE}) kept
     * mapped for reuse; past it the least recently freed go back to the OS. 0 gives every large
     * block straight back. Default {@link #DEFAULT_LARGE_CACHE}, or a quarter of the memory limit
     * when that is smaller.
     *
     * @return the cap in bytes
     */
    public long largeCacheBytes() {
        if (largeCacheBytes >= 0) {
            return largeCacheBytes;
        }
        return memoryLimit == UNLIMITED ? DEFAULT_LARGE_CACHE : Math.min(DEFAULT_LARGE_CACHE, memoryLimit / 4);
    }

    /**
     * How long free memory stays idle before a background thread gives it back to the OS, or null
     * (the default) for no background thread: memory then goes back only when {@link
     * NativeAllocator#trim()} is called or the memory limit asks for it. See {@link #withReleaseAfter}.
     *
     * @return the delay, or null when background release is off
     */
    public Duration releaseAfter() {
        return releaseAfter;
    }

    /**
     * The most bytes of free memory the central stacks and the large-span cache keep for reuse
     * before frees start giving it back to the OS, or {@link #UNLIMITED} (the default). Past it,
     * the spill that crossed it releases its class's wholly free chunks and then free large
     * spans. Thread rings are bounded on their own (at most 256 KiB or one block per class) and
     * are not counted, so the hot path touches no shared counter. Off by default because it puts
     * {@code madvise} calls on the free path of whichever thread crosses the limit; the memory
     * limit, {@link NativeAllocator#trim()} and {@link #withReleaseAfter} bound memory without that.
     *
     * @return the limit in bytes, or {@link #UNLIMITED}
     */
    public long cachedBytesLimit() {
        return cachedBytesLimit;
    }

    /**
     * This config with a limit on free memory kept for reuse; see {@link #cachedBytesLimit()}.
     *
     * @param bytes the limit, 0 ({@link #UNLIMITED}) to {@code Long.MAX_VALUE}
     * @return a new config
     * @throws IllegalArgumentException if negative
     */
    public AllocatorConfig withCachedBytesLimit(long bytes) {
        return with(d -> d.cachedBytesLimit = bytes);
    }

    /**
     * This config with a name for the allocator, which JMX, JFR and metrics report it under.
     *
     * @param value 1 to 64 letters, digits, {@code .}, {@code _} or {@code -}
     * @return a new config
     * @throws IllegalArgumentException if the name has other characters or lengths
     * @throws NullPointerException if {@code value} is null (leave the name unset for a generated one)
     */
    public AllocatorConfig withName(String value) {
        Objects.requireNonNull(value, "name");
        return with(d -> d.name = value);
    }

    /**
     * This config with free checks on or off; see {@link #checkFrees()}.
     *
     * @param value true to refuse wrong frees
     * @return a new config
     * @throws IllegalArgumentException if turned off while debug mode or leak tracking needs it
     */
    public AllocatorConfig withCheckFrees(boolean value) {
        return with(d -> d.checkFrees = value);
    }

    /**
     * This config with a memory limit; see {@link #memoryLimit()}.
     *
     * @param bytes 64 KiB to {@code Long.MAX_VALUE}, or {@link #UNLIMITED}
     * @return a new config
     * @throws IllegalArgumentException if negative, or below one 64 KiB chunk
     */
    public AllocatorConfig withMemoryLimit(long bytes) {
        return with(d -> d.memoryLimit = bytes);
    }

    /**
     * This config with zeroing on or off; see {@link #zeroed()}.
     *
     * @param value true to hand out zeroed blocks
     * @return a new config
     */
    public AllocatorConfig withZeroed(boolean value) {
        return with(d -> d.zeroed = value);
    }

    /**
     * This config with leak tracking; see {@link LeakTracking}.
     *
     * @param value the mode
     * @return a new config
     * @throws IllegalArgumentException if tracking is asked for while free checks are off
     * @throws NullPointerException if {@code value} is null
     */
    public AllocatorConfig withLeakTracking(LeakTracking value) {
        Objects.requireNonNull(value, "leakTracking");
        return with(d -> d.leakTracking = value);
    }

    /**
     * This config with debug mode on or off; see {@link #debug()}.
     *
     * @param value true for poisoned frees
     * @return a new config
     * @throws IllegalArgumentException if turned on while free checks are off
     */
    public AllocatorConfig withDebug(boolean value) {
        return with(d -> d.debug = value);
    }

    /**
     * This config with a cap on free large blocks kept for reuse; see {@link #largeCacheBytes()}.
     *
     * @param bytes the cap, 0 (none kept) to {@code Long.MAX_VALUE}
     * @return a new config
     * @throws IllegalArgumentException if negative
     */
    public AllocatorConfig withLargeCacheBytes(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("largeCacheBytes " + bytes
                    + " is negative: use a byte count, or 0 to give every large block straight back to the OS");
        }
        return with(d -> d.largeCacheBytes = bytes);
    }

    /**
     * This config with background release on: one daemon thread per allocator wakes every quarter
     * {@code delay}, reclaims the caches of ended threads, releases ({@code madvise}) the free
     * chunks of every size class that has had no refill or spill for {@code delay}, and unmaps
     * free large blocks kept longer than {@code delay}; so memory left idle goes back to the OS
     * within 1.5 x {@code delay} with no call to {@link NativeAllocator#trim()}. {@code close()}
     * stops the thread. Off by default: a latency-sensitive application decides when to trim.
     * (jemalloc's {@code dirty_decay_ms}, tcmalloc's background release.)
     *
     * @param delay how long free memory stays idle before release, 1 ms to 1 day; null turns it off
     * @return a new config
     * @throws IllegalArgumentException if {@code delay} is outside 1 ms to 1 day
     */
    public AllocatorConfig withReleaseAfter(Duration delay) {
        return with(d -> d.releaseAfter = delay);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AllocatorConfig c && Objects.equals(name, c.name) && checkFrees == c.checkFrees
                && memoryLimit == c.memoryLimit && debug == c.debug
                && leakTracking == c.leakTracking && zeroed == c.zeroed && largeCacheBytes == c.largeCacheBytes
                && Objects.equals(releaseAfter, c.releaseAfter) && cachedBytesLimit == c.cachedBytesLimit;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, checkFrees, memoryLimit, debug, leakTracking, zeroed, largeCacheBytes,
                releaseAfter, cachedBytesLimit);
    }

    @Override
    public String toString() {
        return "AllocatorConfig[name=" + name + ", checkFrees=" + checkFrees + ", memoryLimit=" + memoryLimit
                + ", debug=" + debug + ", leakTracking=" + leakTracking + ", zeroed=" + zeroed
                + ", largeCacheBytes=" + largeCacheBytes() + ", releaseAfter=" + releaseAfter + ", cachedBytesLimit=" + cachedBytesLimit + "]";
    }
}
