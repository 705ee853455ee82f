package io.segpool.pools;

import io.segpool.allocator.NativeAllocator;
import io.segpool.allocator.ThreadCache;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * One thread's stack of frames on stack segments: the Java counterpart of a goroutine's segmented
 * stack (seed 002). {@link #push()} opens a {@link Frame}; allocations in the innermost frame bump
 * a pointer in the current segment; when the rest of the segment is too small the stack takes a
 * new segment from its pool, and when closing a frame empties a segment it goes back to the pool.
 * An allocation larger than a segment (or aligned beyond a page) gets a block of its own from the
 * pool's allocator, freed when its frame closes.
 *
 * <p>A frame is named by a token, {@code serial << 24 | depth}: a frame is usable only while its
 * depth is the stack's depth and its serial is the one recorded there, so a closed frame, an outer
 * frame used while an inner one is open, and a frame closed out of order are all refused with
 * {@link IllegalStateException} before any state changes.
 *
 * <p>Single-threaded by design, like a goroutine's stack: only the thread that made the stack may
 * use it or its frames. All fields are plain and owned by that thread.
 */
public final class SegmentedStack implements AutoCloseable {

    private static final int DEPTH_BITS = 24;
    private static final int VIEW_CACHE = 256;
    /** The deepest a stack may grow, in frames. */
    public static final int MAX_DEPTH = (1 << DEPTH_BITS) - 1;
    /** Alignment of {@link Frame#allocate(long)}, as the allocator's. */
    static final long DEFAULT_ALIGNMENT = 16;

    private final StackPool pool;
    private final NativeAllocator allocator;
    private final long segmentSize;
    private final Thread owner;
    /** The owner's cache, or null for a virtual thread, which goes through the allocator's shared caches. */
    private final ThreadCache cache;

    /** Addresses of the segments in use, bottom first. */
    private long[] segments = new long[4];
    /**
     * Views of recently held segments, direct-mapped by address: segments come back from the
     * rings again and again, and a view found here is reused instead of made anew, so a frame's
     * allocation is a slice of a held view with no map lookup and, in steady state, no garbage.
     * An entry is trusted only if its address matches and its chunk is still mapped.
     */
    private final MemorySegment[] viewCache = new MemorySegment[VIEW_CACHE];
    /** The view of {@code segments[segmentCount - 1]}. */
    private MemorySegment current;
    private int segmentCount;
    /** Bytes used in {@code segments[segmentCount - 1]}. */
    private long top;

    /** Blocks larger than a segment, with their sizes, oldest first. */
    private long[] bigAddresses = new long[2];
    private long[] bigSizes = new long[2];
    private int bigCount;

    /** Per depth (1-based), what to rewind to when that frame closes, and its serial. */
    private long[] savedTop = new long[16];
    private int[] savedSegments = new int[16];
    private int[] savedBig = new int[16];
    private long[] serials = new long[16];
    private int depth;
    private long nextSerial = 1;
    private boolean closed;

    SegmentedStack(StackPool pool, NativeAllocator allocator) {
        this.pool = pool;
        this.allocator = allocator;
        this.segmentSize = pool.segmentSize();
        this.owner = Thread.currentThread();
        this.cache = owner.isVirtual() ? null : allocator.threadCache();
    }

    /** Opens a frame on top of the stack. */
    public Frame push() {
        return new Frame(this, pushToken());
    }

    /** The number of open frames. */
    public int depth() {
        checkUsable();
        return depth;
    }

    /** Segments this stack holds now. */
    public int segmentsHeld() {
        checkUsable();
        return segmentCount;
    }

    public Thread owner() {
        return owner;
    }

    public StackPool pool() {
        return pool;
    }

    /**
     * Closes every open frame and gives all the stack's memory back to the pool. Idempotent; any
     * other call after it throws.
     */
    @Override
    public void close() {
        checkThread();
        if (closed) {
            return;
        }
        rewind(0, 0, 0);
        Arrays.fill(serials, 0, depth + 1, 0);
        depth = 0;
        closed = true;
    }

    // ---- the engine, named by frame tokens ----------------------------------------------------

    long pushToken() {
        checkUsable();
        if (depth == MAX_DEPTH) {
            throw new IllegalStateException("stack overflow: " + MAX_DEPTH + " frames are open, the most a"
                    + " SegmentedStack holds");
        }
        int next = depth + 1;
        if (next == serials.length) {
            grow();
        }
        savedTop[next] = top;
        savedSegments[next] = segmentCount;
        savedBig[next] = bigCount;
        long serial = nextSerial++;
        serials[next] = serial;
        depth = next;
        return serial << DEPTH_BITS | next;
    }

    /** Bump-allocates {@code size} bytes in the frame named by {@code token}; returns the address. */
    long allocateAddress(long token, long size, long alignment) {
        checkInnermost(token, "allocate in");
        if (size < 0) {
            throw new IllegalArgumentException("frame allocation size " + size + " is negative");
        }
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0) {
            throw new IllegalArgumentException("alignment " + alignment + " is not a power of two");
        }
        if (alignment <= StackPool.PAGE) {
            long aligned = (top + alignment - 1) & -alignment;
            if (segmentCount > 0 && aligned + size <= segmentSize) {
                top = aligned + size;
                return segments[segmentCount - 1] + aligned;
            }
            if (size <= segmentSize) {
                long segment = takeSegment();
                if (segmentCount == segments.length) {
                    segments = Arrays.copyOf(segments, segmentCount * 2);
                }
                segments[segmentCount++] = segment;
                current = view(segment);
                top = size;
                return segment;
            }
        }
        return allocateBig(size, alignment);
    }

    /** A block of its own for a request no segment can hold; freed when its frame closes. */
    private long allocateBig(long size, long alignment) {
        long address = allocator.allocate(size, Math.max(alignment, DEFAULT_ALIGNMENT)).address();
        if (bigCount == bigAddresses.length) {
            bigAddresses = Arrays.copyOf(bigAddresses, bigCount * 2);
            bigSizes = Arrays.copyOf(bigSizes, bigCount * 2);
        }
        bigAddresses[bigCount] = address;
        bigSizes[bigCount] = size;
        bigCount++;
        return address;
    }

    /** A view of {@code size} bytes at {@code address}, just returned by {@link #allocateAddress}. */
    MemorySegment segment(long address, long size) {
        if (segmentCount > 0) {
            long offset = address - current.address();
            if (offset >= 0 && offset + size <= segmentSize) {
                return current.asSlice(offset, size);
            }
        }
        return allocator.segment(address, size);
    }

    /** Closes the frame named by {@code token}: it must be the innermost open frame. */
    void pop(long token) {
        checkInnermost(token, "close");
        rewind(savedSegments[depth], savedTop[depth], savedBig[depth]);
        serials[depth] = 0;
        depth--;
    }

    boolean isOpen(long token) {
        int frameDepth = (int) (token & MAX_DEPTH);
        return !closed && frameDepth <= depth && serials[frameDepth] == token >>> DEPTH_BITS;
    }

    /** Frees the big blocks and the segments above a saved position, newest first. */
    private void rewind(int keepSegments, long keepTop, int keepBig) {
        while (bigCount > keepBig) {
            bigCount--;
            allocator.freeAddress(bigAddresses[bigCount], bigSizes[bigCount]);
        }
        if (segmentCount > keepSegments) {
            while (segmentCount > keepSegments) {
                segmentCount--;
                giveSegment(segments[segmentCount]);
            }
            current = segmentCount > 0 ? view(segments[segmentCount - 1]) : null;
        }
        top = keepTop;
    }

    private MemorySegment view(long segment) {
        int slot = (int) (segment / segmentSize) & (VIEW_CACHE - 1);
        MemorySegment view = viewCache[slot];
        if (view == null || view.address() != segment || !view.scope().isAlive()) {
            view = allocator.segment(segment, segmentSize);
            viewCache[slot] = view;
        }
        return view;
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

    private void grow() {
        int length = serials.length * 2;
        savedTop = Arrays.copyOf(savedTop, length);
        savedSegments = Arrays.copyOf(savedSegments, length);
        savedBig = Arrays.copyOf(savedBig, length);
        serials = Arrays.copyOf(serials, length);
    }

    // ---- checks: each throws before anything changes ------------------------------------------

    private void checkInnermost(long token, String action) {
        checkUsable();
        int frameDepth = (int) (token & MAX_DEPTH);
        long serial = token >>> DEPTH_BITS;
        if (frameDepth > depth || serials[frameDepth] != serial) {
            throw new IllegalStateException("cannot " + action + " frame " + serial + " at depth " + frameDepth
                    + ": it is closed");
        }
        if (frameDepth != depth) {
            throw new IllegalStateException("cannot " + action + " frame " + serial + " at depth " + frameDepth
                    + ": frames close innermost first, and the frame at depth " + depth + " is still open");
        }
    }

    private void checkUsable() {
        checkThread();
        if (closed) {
            throw new IllegalStateException("this SegmentedStack is closed");
        }
    }

    private void checkThread() {
        Thread current = Thread.currentThread();
        if (current != owner) {
            throw new IllegalStateException("a SegmentedStack belongs to the thread that made it (" + owner
                    + "), but " + current + " used it");
        }
    }
}
