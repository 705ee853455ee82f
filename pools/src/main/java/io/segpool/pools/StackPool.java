package io.segpool.pools;

import io.segpool.allocator.AllocatorConfig;
import io.segpool.allocator.NativeAllocator;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A pool of fixed-size, page-aligned stack segments: Go's stack pool over the FFM API. Segments
 * come through the same per-thread rings as every segpool block (a ring holds up to 32 blocks
 * and up to 256 KiB of a class, and trades batches of half a ring with the class's central
 * stack), from an allocator of the pool's own, so that {@code StackSys} counts exactly the
 * memory obtained for stacks.
 *
 * <p>Most users never touch a segment: they open a {@link SegmentedStack} with {@link #newStack()}
 * and push {@link Frame}s on it.
 *
 * <p>The pool is configured as its allocator is, with an {@link AllocatorConfig}
 * ({@link #create(long, AllocatorConfig)}), starting from {@link #defaultConfig()}: its name
 * (which JFR events, JMX and metrics report), a memory limit on the stacks' memory
 * ({@link io.segpool.allocator.MemoryLimitException} from a push's allocation past it), debug mode
 * (a segment written after it went back to the pool is caught when it is handed out again, and
 * a frame's bytes written after the frame closed are caught when a frame reuses them), and every
 * other allocator setting.
 */
public final class StackPool extends PoolBase {

    /** The default segment size, Go's starting stack size. */
    public static final long DEFAULT_SEGMENT_SIZE = 8 * 1024;
    /** The smallest segment size: one page. */
    public static final long MIN_SEGMENT_SIZE = 4 * 1024;
    /** The largest segment size: the allocator's largest size class. */
    public static final long MAX_SEGMENT_SIZE = NativeAllocator.MAX_CLASS_SIZE;
    /** Every segment starts on a boundary of this many bytes. */
    public static final long PAGE = 4 * 1024;
    /**
     * The default bound of the segments one stack keeps after its frames' closes empty them: 1 MiB,
     * the JVM's default thread stack ({@code -Xss1m}), so that a stack that recursed as deep as a
     * thread's stack does crosses its segment edges again without calling the allocator.
     */
    public static final long DEFAULT_STACK_CACHE_BYTES = 1024 * 1024;
    /**
     * The most segments one stack may keep: {@code stackCacheBytes / segmentSize} at most this. A
     * stack's slots are made at its first keep and every {@link #trim()} passes over them, so the
     * bound keeps both small (32 KiB of slots per stack at most).
     */
    public static final int MAX_KEPT_SEGMENTS = 4096;

    private final long segmentSize;
    private final long stackCacheBytes;
    /** The kept segments of the live stacks, for {@link #trim()}. */
    private final SpareRegistry spares;

    private StackPool(long segmentSize, long stackCacheBytes, AllocatorConfig config) {
        super(config, true);
        this.segmentSize = segmentSize;
        this.stackCacheBytes = stackCacheBytes;
        this.spares = new SpareRegistry(allocator, segmentRequest());
    }

    /**
     * {@return the config {@link #create()} and {@link #create(long)} use: the allocator's
     * defaults, free checks on} Free checks stay on because {@link #free(MemorySegment)} takes
     * segments back from user code, unlike a defer pool's blocks, which never leave the pool.
     */
    public static AllocatorConfig defaultConfig() {
        return AllocatorConfig.defaults();
    }

    /**
     * Makes a pool of {@link #DEFAULT_SEGMENT_SIZE} segments with {@link #defaultConfig()}:
     * {@code create(defaultConfig())}.
     *
     * @return a new pool; close it to give its memory back
     */
    public static StackPool create() {
        return create(defaultConfig());
    }

    /**
     * A pool of {@code segmentSize} segments with {@link #defaultConfig()}: a power of two from
     * {@link #MIN_SEGMENT_SIZE} to {@link #MAX_SEGMENT_SIZE}. Powers of two are size classes of
     * the allocator, carved from 64 KiB-aligned chunks, so every segment is page-aligned without
     * padding.
     *
     * @param segmentSize the bytes of every segment
     * @return a new pool; close it to give its memory back
     * @throws IllegalArgumentException if {@code segmentSize} is not a power of two in that range
     */
    public static StackPool create(long segmentSize) {
        return create(segmentSize, defaultConfig());
    }

    /**
     * A pool of {@link #DEFAULT_SEGMENT_SIZE} segments whose allocator is built as {@code config}
     * says, used as given: start from {@link #defaultConfig()}.
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
     * built as {@code config} says, used as given: start from {@link #defaultConfig()}.
     *
     * @param segmentSize the bytes of every segment: a power of two from {@link #MIN_SEGMENT_SIZE}
     *                    to {@link #MAX_SEGMENT_SIZE}
     * @param config the settings of the pool's own allocator: name, memory limit, debug, ...
     * @return a new pool; close it to give its memory back
     * @throws IllegalArgumentException if {@code segmentSize} is not a power of two in that range
     * @throws NullPointerException if {@code config} is null
     */
    public static StackPool create(long segmentSize, AllocatorConfig config) {
        return create(segmentSize, DEFAULT_STACK_CACHE_BYTES, config);
    }

    /**
     * A pool of {@code segmentSize} segments, as {@link #create(long, AllocatorConfig)} makes, whose
     * stacks each keep up to {@code stackCacheBytes} of the segments their frames' closes empty
     * (rounded down to whole segments; 0 keeps none). Kept segments count in {@code StackInuse}
     * and go back on the stack's close, {@link SegmentedStack#flush()} and {@link #trim()}; a
     * pool in debug mode keeps none whatever the bound.
     *
     * @param segmentSize the bytes of every segment: a power of two from {@link #MIN_SEGMENT_SIZE}
     *                    to {@link #MAX_SEGMENT_SIZE}
     * @param stackCacheBytes the most bytes of emptied segments one stack keeps, 0 to
     *                        {@link #MAX_KEPT_SEGMENTS} segments' worth; the default is
     *                        {@link #DEFAULT_STACK_CACHE_BYTES}
     * @param config the settings of the pool's own allocator: name, memory limit, debug, ...
     * @return a new pool; close it to give its memory back
     * @throws IllegalArgumentException if {@code segmentSize} is not a power of two in that range,
     *         or {@code stackCacheBytes} is negative or more than {@link #MAX_KEPT_SEGMENTS} segments
     * @throws NullPointerException if {@code config} is null
     */
    public static StackPool create(long segmentSize, long stackCacheBytes, AllocatorConfig config) {
        Objects.requireNonNull(config, "config");
        if (stackCacheBytes < 0) {
            throw new IllegalArgumentException("stack cache bytes " + stackCacheBytes + " must be 0 or more");
        }
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
        if (stackCacheBytes / segmentSize > MAX_KEPT_SEGMENTS) {
            throw new IllegalArgumentException("stack cache bytes " + stackCacheBytes + " would keep "
                    + stackCacheBytes / segmentSize + " segments of " + segmentSize + " bytes per stack: at most "
                    + MAX_KEPT_SEGMENTS + " (" + MAX_KEPT_SEGMENTS * segmentSize + " bytes)");
        }
        return new StackPool(segmentSize, stackCacheBytes, config);
    }

    /** {@return the most bytes of emptied segments one stack of this pool keeps; see {@link SegmentedStack}} */
    public long stackCacheBytes() {
        return stackCacheBytes;
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
     * Allocates one segment, page-aligned, not zeroed (zeroed with
     * {@link AllocatorConfig#withZeroed(boolean)}).
     *
     * @return a segment of {@link #segmentSize()} bytes; give it back with {@link #free(MemorySegment)}
     * @throws IllegalStateException if the pool is closed
     * @throws io.segpool.allocator.MemoryLimitException if the segment would take the pool past
     *         its memory limit
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
     * @throws NullPointerException if {@code segment} is null
     */
    public void free(MemorySegment segment) {
        if (segment.byteSize() != segmentSize) {
            throw new IllegalArgumentException("a stack segment is " + segmentSize + " bytes; this segment is "
                    + segment.byteSize() + " bytes, so it is not one of this pool's");
        }
        allocator.free(segment);
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

    /** {@return the registry of the live stacks' kept segments} */
    SpareRegistry spares() {
        return spares;
    }

    /**
     * Gives memory the pool holds free back to the OS, as {@link NativeAllocator#trim()} does for
     * the pool's own allocator, after taking the kept segments of every live stack (see
     * {@link SegmentedStack}), from whichever thread calls: they are freed through the calling
     * thread's cache, which is then flushed so that this trim reaches them. A stack whose kept
     * segments went takes segments from the pool at its next edge crossings.
     *
     * @return the bytes given back to the OS
     * @throws IllegalStateException if the pool is closed, or refused a kept segment back
     */
    @Override
    public long trim() {
        if (!allocator.isOpen()) {
            throw closed(null);
        }
        spares.freeSpares();
        return super.trim();
    }

    /** The refusal of any call that would hand out memory after the pool's close. */
    static IllegalStateException closed(Throwable cause) {
        return new IllegalStateException("this StackPool is closed: its memory went back to the OS", cause);
    }

    /**
     * Gives all memory back to the OS; every stack and segment of this pool turns invalid.
     * Idempotent, as every close in segpool: closing again does nothing.
     *
     * @throws IllegalStateException if a downcall holds memory of the pool: the pool stays closed
     *         to new work, and close can be called again once the downcall has returned
     */
    @Override
    public void close() {
        super.close();
    }
}
