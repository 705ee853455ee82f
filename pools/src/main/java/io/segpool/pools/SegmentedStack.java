package io.segpool.pools;

import io.segpool.allocator.NativeAllocator;
import io.segpool.allocator.ThreadCache;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * One thread's stack of frames on stack segments: the Java counterpart of a goroutine's segmented
 * stack. {@link #push()} opens a {@link Frame}; allocations in the innermost frame bump
 * a pointer in the current segment; when the rest of the segment is too small the stack takes a
 * new segment from its pool, and when closing a frame empties a segment it goes back to the pool.
 * An allocation larger than a segment (or aligned beyond a page) gets a block of its own from the
 * pool's allocator, freed when its frame closes.
 *
 * <p>A frame is named by its depth and a token: a 64-bit serial, one per push, so that no two
 * frames of a stack share a token for 2^64 pushes (more than 500 years at one push a nanosecond).
 * A frame is usable only while its token is the innermost open frame's, so a closed frame, an
 * outer frame used while an inner one is open, and a frame closed out of order are all refused
 * with {@link IllegalStateException} before any state changes. When the serial wraps, 0 is
 * skipped: it marks a depth with no open frame.
 *
 * <p>The fast path, a frame whose allocations fit in the current segment, reads and writes only
 * plain fields of this object and one record of {@link #frames}: the current segment is held as
 * {@code top}/{@code limit} addresses and a view that allocations slice. Taking and giving back
 * segments, big blocks and every refusal are separate methods.
 *
 * <p>Single-threaded by design, like a goroutine's stack: only the thread that made the stack may
 * use it or its frames; any other thread gets {@link WrongThreadException}, as a confined
 * {@link java.lang.foreign.Arena}'s segment throws. All fields are plain and owned by that thread.
 */
public final class SegmentedStack implements AutoCloseable {

    /** The deepest a stack may grow, in frames. */
    public static final int MAX_DEPTH = (1 << 24) - 1;
    /** Alignment of {@link Frame#allocate(long)}, as the allocator's. */
    static final long DEFAULT_ALIGNMENT = 16;

    /** A frame's record in {@link #frames}: where to rewind to when it closes, and its token. */
    private static final int SAVED_TOP = 0;
    private static final int SAVED_COUNTS = 1;
    private static final int TOKEN = 2;
    private static final int STRIDE = 3;
    /**
     * {@link #top} while the stack holds no segment: past {@link #limit} 0, so that every request
     * misses the bump and takes a segment.
     */
    private static final long NO_SEGMENT = StackPool.PAGE;

    private final StackPool pool;
    private final NativeAllocator allocator;
    private final long segmentSize;
    private final Thread owner;
    /** The owner's cache, or null for a virtual thread, which goes through the allocator's shared caches. */
    private final ThreadCache cache;
    private final SegmentViews views;
    private final BigBlocks big;

    /** Address of the next free byte of the current segment; {@link #NO_SEGMENT} when none. */
    private long top = NO_SEGMENT;
    /** Address just past the current segment; 0 when none. */
    private long limit;
    /** Address of the current segment, {@code segments[segmentCount - 1]}; 0 when none. */
    private long base;
    /** The view of the current segment, which allocations slice; null when none. */
    private MemorySegment current;
    /** The innermost open frame's token; 0 when no frame is open (no token is 0). */
    private long innermost;

    /** Addresses of the segments in use, bottom first, and their views. */
    private long[] segments = new long[4];
    private MemorySegment[] segmentViews = new MemorySegment[4];
    private int segmentCount;
    /** {@code segmentCount << 32 | big.count()}, as a frame's record saves it; set wherever either changes. */
    private long counts;

    /** {@link #STRIDE} longs per depth (1-based; depth 0's token stays 0): see {@link #SAVED_TOP}. */
    private long[] frames = new long[16 * STRIDE];
    private int depth;
    /** The token of the next push; never 0 when used ({@link #pushToken()} skips it). */
    private long nextSerial = 1;
    private boolean closed;

    SegmentedStack(StackPool pool, NativeAllocator allocator) {
        this.pool = pool;
        this.allocator = allocator;
        this.segmentSize = pool.segmentSize();
        this.owner = Thread.currentThread();
        this.cache = owner.isVirtual() ? null : allocator.threadCache();
        this.views = new SegmentViews(allocator, segmentSize);
        this.big = new BigBlocks(allocator);
    }

    /**
     * Opens a frame on top of the stack.
     *
     * @return the new innermost frame; close it to rewind the stack
     * @throws IllegalStateException if the stack is closed, or {@link #MAX_DEPTH} frames are open
     * @throws WrongThreadException if the calling thread is not the stack's owner
     */
    public Frame push() {
        long token = pushToken();
        return new Frame(this, token, depth);
    }

    /**
     * {@return the number of open frames}
     *
     * @throws IllegalStateException if the stack is closed
     * @throws WrongThreadException if the calling thread is not the stack's owner
     */
    public int depth() {
        checkUsable();
        return depth;
    }

    /**
     * {@return the number of segments this stack holds now}
     *
     * @throws IllegalStateException if the stack is closed
     * @throws WrongThreadException if the calling thread is not the stack's owner
     */
    public int segmentsHeld() {
        checkUsable();
        return segmentCount;
    }

    /** {@return the thread that may use this stack and its frames} */
    public Thread owner() {
        return owner;
    }

    /** {@return the pool this stack takes its segments from} */
    public StackPool pool() {
        return pool;
    }

    /**
     * Closes every open frame and gives all the stack's memory back to the pool. Idempotent; any
     * other call after it throws.
     *
     * @throws WrongThreadException if the calling thread is not the stack's owner
     */
    @Override
    public void close() {
        checkThread();
        if (closed) {
            return;
        }
        rewind(0, 0);
        top = NO_SEGMENT;
        Arrays.fill(frames, 0, (depth + 1) * STRIDE, 0);
        depth = 0;
        innermost = 0;
        closed = true;
    }

    /** Test seam: the serial the next push takes. */
    void setNextSerial(long serial) {
        nextSerial = serial;
    }

    // ---- the engine, named by frame tokens ----------------------------------------------------

    long pushToken() {
        checkUsable();
        int next = depth + 1;
        int at = next * STRIDE;
        if (at == frames.length) {
            growFrames(next);
        }
        long token = nextSerial++;
        if (token == 0) { // the serial wrapped: 0 is no frame's token
            token = nextSerial++;
        }
        long[] records = frames;
        records[at + SAVED_TOP] = top;
        records[at + SAVED_COUNTS] = counts;
        records[at + TOKEN] = token;
        depth = next;
        innermost = token;
        return token;
    }

    /** A slice of {@code size} fresh bytes in the frame named by {@code token}, at {@code frameDepth}. */
    MemorySegment allocate(long token, int frameDepth, long size, long alignment) {
        long address = allocateAddress(token, frameDepth, size, alignment);
        long offset = address - base;
        // A big block is never inside the current segment, so only a bump or a new segment slices it.
        return offset >= 0 && offset <= segmentSize - size ? current.asSlice(offset, size) : allocator.segment(address, size);
    }

    /** Bump-allocates {@code size} bytes in the frame named by {@code token}; returns the address. */
    long allocateAddress(long token, int frameDepth, long size, long alignment) {
        checkInnermost(token, frameDepth, "allocate in");
        checkRequest(size, alignment);
        long aligned = (top + alignment - 1) & -alignment;
        if (alignment <= StackPool.PAGE && size <= limit - aligned) {
            top = aligned + size;
            return aligned;
        }
        return allocateSlow(size, alignment);
    }

    /** Closes the frame named by {@code token}: it must be the innermost open frame. */
    void pop(long token, int frameDepth) {
        checkInnermost(token, frameDepth, "close");
        long[] records = frames;
        int at = depth * STRIDE;
        long saved = records[at + SAVED_COUNTS];
        if (saved != counts) {
            rewind((int) (saved >>> 32), (int) saved);
        }
        top = records[at + SAVED_TOP];
        records[at + TOKEN] = 0;
        innermost = records[at - STRIDE + TOKEN];
        depth--;
    }

    boolean isOpen(long token, int frameDepth) {
        return !closed && frameDepth <= depth && frames[frameDepth * STRIDE + TOKEN] == token;
    }

    /** A request the current segment cannot hold: a new segment if one can hold it, else a block of its own. */
    private long allocateSlow(long size, long alignment) {
        if (alignment > StackPool.PAGE || size > segmentSize) {
            long address = big.allocate(size, Math.max(alignment, DEFAULT_ALIGNMENT));
            counts++;
            return address;
        }
        long segment = takeSegment();
        if (segmentCount == segments.length) {
            segments = Arrays.copyOf(segments, segmentCount * 2);
            segmentViews = Arrays.copyOf(segmentViews, segmentCount * 2);
        }
        MemorySegment view = views.view(segment);
        segments[segmentCount] = segment;
        segmentViews[segmentCount] = view;
        segmentCount++;
        counts += 1L << 32;
        enter(segment, view);
        top = segment + size;
        return segment;
    }

    /** Frees the big blocks and the segments above a saved position, newest first; the caller sets {@link #top}. */
    private void rewind(int keepSegments, int keepBig) {
        try {
            big.freeDownTo(keepBig);
            while (segmentCount > keepSegments) {
                segmentCount--;
                segmentViews[segmentCount] = null;
                giveSegment(segments[segmentCount]);
            }
        } finally {
            counts = (long) segmentCount << 32 | big.count();
            if (segmentCount > 0) {
                enter(segments[segmentCount - 1], segmentViews[segmentCount - 1]);
            } else {
                current = null;
                base = 0;
                limit = 0;
            }
        }
    }

    /** Makes {@code segment} the current one; the caller sets {@link #top}. */
    private void enter(long segment, MemorySegment view) {
        current = view;
        base = segment;
        limit = segment + segmentSize;
    }

    private long takeSegment() {
        return cache != null ? cache.allocateAddress(segmentSize) : allocator.allocateAddress(segmentSize);
    }

    private void giveSegment(long segment) {
        if (cache != null) {
            cache.freeAddress(segment, segmentSize);
        } else {
            allocator.freeAddress(segment, segmentSize);
        }
    }

    /** Makes room for the record of depth {@code next}, or refuses a push beyond {@link #MAX_DEPTH}. */
    private void growFrames(int next) {
        if (next > MAX_DEPTH) {
            throw new IllegalStateException("stack overflow: " + MAX_DEPTH + " frames are open, the most a"
                    + " SegmentedStack holds");
        }
        frames = Arrays.copyOf(frames, Math.min(next * 2, MAX_DEPTH + 1) * STRIDE);
    }

    // ---- checks: each throws before anything changes ------------------------------------------

    private void checkInnermost(long token, int frameDepth, String action) {
        checkThread();
        if (token != innermost) {
            throw refusal(token, frameDepth, action);
        }
    }

    /** Why {@code token} is not the innermost open frame's: the stack is closed, the frame is, or an inner one is open. */
    private RuntimeException refusal(long token, int frameDepth, String action) {
        checkUsable();
        String serial = Long.toUnsignedString(token);
        if (frameDepth > depth || frames[frameDepth * STRIDE + TOKEN] != token) {
            return new IllegalStateException("cannot " + action + " frame " + serial + " at depth " + frameDepth
                    + ": it is closed");
        }
        return new IllegalStateException("cannot " + action + " frame " + serial + " at depth " + frameDepth
                + ": frames close innermost first, and the frame at depth " + depth + " is still open");
    }

    private static void checkRequest(long size, long alignment) {
        if (size < 0) {
            throw new IllegalArgumentException("frame allocation size " + size + " is negative");
        }
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0) {
            throw new IllegalArgumentException("alignment " + alignment + " is not a power of two");
        }
    }

    private void checkUsable() {
        checkThread();
        if (closed) {
            throw new IllegalStateException("this SegmentedStack is closed");
        }
    }

    private void checkThread() {
        if (Thread.currentThread() != owner) {
            throw wrongThread();
        }
    }

    private WrongThreadException wrongThread() {
        return new WrongThreadException("a SegmentedStack belongs to the thread that made it (" + owner
                + "), but " + Thread.currentThread() + " used it");
    }
}
