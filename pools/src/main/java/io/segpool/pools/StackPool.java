package io.segpool.pools;

import io.segpool.allocator.AllocatorConfig;
import io.segpool.allocator.NativeAllocator;
import io.segpool.stats.MemStats;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A pool of fixed-size, page-aligned stack segments: Go's stack pool over the
 * FFM API. Segments come through the same per-thread 32-slot rings and 16-block batches as every
 * segpool block, from an allocator of the pool's own, so that {@code StackSys} counts exactly the
 * memory obtained for stacks.
 *
 * <p>Most users never touch a segment: they open a {@link SegmentedStack} with {@link #newStack()}
 * and push {@link Frame}s on it.
 *
 * <p>The pool is configured as its allocator is, with an {@link AllocatorConfig}
 * ({@link #create(long, AllocatorConfig)}): its name (which JFR events and metrics report), a
 * memory limit on the stacks' memory ({@link io.segpool.allocator.MemoryLimitException} from a
 * push's allocation past it), debug mode (a segment written after it went back to the pool is
 * caught when it is handed out again), and every other allocator setting.
 */
public final class StackPool implements AutoCloseable {

    /** The default segment size, Go's starting stack size. */
    public static final long DEFAULT_SEGMENT_SIZE = 8 * 1024;
    /** The smallest segment size: one page. */
    public static final long MIN_SEGMENT_SIZE = 4 * 1024;
    /** The largest segment size: the allocator's largest size class. */
    public static final long MAX_SEGMENT_SIZE = NativeAllocator.MAX_CLASS_SIZE;
    /** Every segment starts on a boundary of this many bytes. */
    public static final long PAGE = 4 * 1024;

    private final NativeAllocator allocator;
    private final long segmentSize;
    private final PoolStats ownStats;

    private StackPool(long segmentSize, AllocatorConfig config) {
        this.segmentSize = segmentSize;
        this.allocator = NativeAllocator.create(config);
        this.ownStats = new PoolStats(allocator, PoolStats.Kind.STACK);
    }

    /**
     * Makes a pool of {@link #DEFAULT_SEGMENT_SIZE} segments.
     *
     * @return a new pool; close it to give its memory back
     */
    public static StackPool create() {
        return create(DEFAULT_SEGMENT_SIZE);
    }

    /**
     * A pool of {@code segmentSize} segments: a power of two from {@link #MIN_SEGMENT_SIZE} to
     * {@link #MAX_SEGMENT_SIZE}. Powers of two are size classes of the allocator, carved from
     * 64 KiB-aligned chunks, so every segment is page-aligned without padding.
     *
     * @param segmentSize the bytes of every segment
     * @return a new pool; close it to give its memory back
     * @throws IllegalArgumentException if {@code segmentSize} is not a power of two in that range
     */
    public static StackPool create(long segmentSize) {
        return create(segmentSize, AllocatorConfig.defaults());
    }

    /**
     * A pool of {@link #DEFAULT_SEGMENT_SIZE} segments whose allocator is built as {@code config} says.
     *
     * @param config the settings of the pool's own allocator: name, memory limit, debug, ...
     * @return a new pool; close it to give its memory back
     * @throws NullPointerException if {@code config} is null
     */
    public static StackPool create(AllocatorConfig config) {
        return create(DEFAULT_SEGMENT_SIZE, config);
    }

    /**
     * A pool of {@code segmentSize} segments, as {@link #create(long)} makes, whose allocator is
     * built as {@code config} says.
     *
     * @param segmentSize the bytes of every segment: a power of two from {@link #MIN_SEGMENT_SIZE}
     *                    to {@link #MAX_SEGMENT_SIZE}
     * @param config the settings of the pool's own allocator: name, memory limit, debug, ...
     * @return a new pool; close it to give its memory back
     * @throws IllegalArgumentException if {@code segmentSize} is not a power of two in that range
     * @throws NullPointerException if {@code config} is null
     */
    public static StackPool create(long segmentSize, AllocatorConfig config) {
        Objects.requireNonNull(config, "config");
        if (segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE
                || Long.bitCount(segmentSize) != 1) {
            throw new IllegalArgumentException("segment size " + segmentSize + " must be a power of two from "
                    + MIN_SEGMENT_SIZE + " to " + MAX_SEGMENT_SIZE);
        }
        if (NativeAllocator.blockSize(segmentSize) != segmentSize
                || NativeAllocator.blockSize(segmentSize - 1) != segmentSize) {
            throw new IllegalStateException("bad stack class: segment size " + segmentSize
                    + " is not a size class of the allocator");
        }
        return new StackPool(segmentSize, config);
    }

    /** {@return the settings of the pool's own allocator} */
    public AllocatorConfig config() {
        return allocator.config();
    }

    /** {@return the name of the pool's own allocator, as JFR events and metrics report it} */
    public String name() {
        return allocator.name();
    }

    /** {@return the bytes of every segment of this pool} */
    public long segmentSize() {
        return segmentSize;
    }

    /**
     * Opens a stack for the calling thread; only that thread may use it.
     *
     * @return a new stack with no frame open
     * @throws IllegalStateException if the pool is closed
     */
    public SegmentedStack newStack() {
        if (!allocator.isOpen()) {
            throw closed(null);
        }
        return new SegmentedStack(this, allocator);
    }

    /**
     * Allocates one segment, page-aligned, not zeroed.
     *
     * @return a segment of {@link #segmentSize()} bytes; give it back with {@link #free(MemorySegment)}
     * @throws IllegalStateException if the pool is closed
     */
    public MemorySegment allocate() {
        MemorySegment segment = allocator.allocate(segmentSize);
        if (!segment.scope().isAlive()) {
            throw closed(null); // a ring hit after close: the block's memory is gone, and so is the pool
        }
        return segment;
    }

    /**
     * Gives back a segment from {@link #allocate()}; anything else is refused.
     *
     * @param segment a segment this pool allocated and that was not freed since
     * @throws IllegalArgumentException if {@code segment} is not a whole segment of this pool
     * @throws IllegalStateException if the segment is free already or the pool is closed
     */
    public void free(MemorySegment segment) {
        if (segment.byteSize() != segmentSize) {
            throw new IllegalArgumentException("a stack segment is " + segmentSize + " bytes; this segment is "
                    + segment.byteSize() + " bytes, so it is not one of this pool's");
        }
        allocator.free(segment);
    }

    /**
     * Fills {@code StackSys} (bytes this pool obtained from the OS, cached segments included) and
     * {@code StackInuse} (bytes of segments and large frame blocks handed out), with Go's meaning.
     * Leaves every other field as it is, so one {@link MemStats} can gather an allocator's figures
     * and its pools'.
     *
     * @param stats the snapshot to fill
     */
    public void readMemStats(MemStats stats) {
        ownStats.read(stats);
    }

    /**
     * Fills {@code stats} with the full figures of the pool's own allocator: {@code Sys} here is
     * {@code StackSys}.
     *
     * @param stats the snapshot to fill
     */
    public void readAllocatorStats(MemStats stats) {
        allocator.readMemStats(stats);
    }

    /**
     * Gives back to the OS every chunk of segments that is wholly free.
     *
     * @return the bytes given back
     */
    public long trim() {
        return allocator.trim();
    }

    /**
     * The size a stack asks the allocator for when it takes a segment: one byte less than a
     * segment, the same size class. The allocator records the size each block was handed out with
     * and refuses a free of any other, so a frame's slice over a whole segment (which has a
     * segment's size and address) cannot be passed to {@link #free} and given back while its stack
     * still holds it: two owners of one segment. The stack views the whole block all the same.
     */
    long segmentRequest() {
        return segmentSize - 1;
    }

    /** The refusal of any call that would hand out memory after the pool's close. */
    static IllegalStateException closed(Throwable cause) {
        return new IllegalStateException("this StackPool is closed: its memory went back to the OS", cause);
    }

    /** The pool's own allocator; for tests in this package. */
    NativeAllocator allocator() {
        return allocator;
    }

    /** Gives all memory back to the OS; every stack and segment of this pool turns invalid. */
    @Override
    public void close() {
        allocator.close();
    }
}
