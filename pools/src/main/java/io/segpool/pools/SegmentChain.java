package io.segpool.pools;

import io.segpool.allocator.NativeAllocator;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The segments and big blocks one {@link SegmentedStack} holds, bottom first: what the stack's
 * slow paths take and give back. The stack keeps the fields of its fast path (the current
 * segment's bounds, the frame records) to itself and asks this only when a request does not fit
 * or a frame that took memory closes. Owned by the stack's thread; plain fields.
 */
final class SegmentChain {

    private final SegmentSource source;
    private final BigBlocks big;
    /** Addresses of the segments held, bottom first, and their views. */
    private long[] segments = new long[4];
    private MemorySegment[] views = new MemorySegment[4];
    private int count;

    SegmentChain(StackPool pool, NativeAllocator allocator, Thread owner) {
        this.source = new SegmentSource(pool, allocator, owner);
        this.big = new BigBlocks(allocator, pool.segmentSize());
    }

    /** {@return the number of segments held} */
    int segmentCount() {
        return count;
    }

    /** {@return the segment count and the big-block count in one long, as a frame's record saves them} */
    long counts() {
        return (long) count << 32 | big.count();
    }

    /** {@return the view of the newest segment held, or null when none} */
    MemorySegment newest() {
        return count > 0 ? views[count - 1] : null;
    }

    /**
     * Takes a new segment and holds it as the newest; returns its view. Changes nothing if the
     * allocator refuses or is closed: the arrays grow before the segment is taken.
     */
    MemorySegment take() {
        if (count == segments.length) {
            segments = Arrays.copyOf(segments, count * 2);
            views = Arrays.copyOf(views, count * 2);
        }
        MemorySegment view = source.take();
        segments[count] = view.address();
        views[count] = view;
        count++;
        return view;
    }

    /** A block of its own for a request no segment can hold; see {@link BigBlocks#allocate}. */
    long allocateBig(long size, long alignment) {
        return big.allocate(size, alignment).address();
    }

    /** {@return what the last {@link #allocateBig} handed out, as a segment} */
    MemorySegment newestBig() {
        return big.newest();
    }

    /**
     * Gives back the big blocks above the first {@code keepBig} and the segments above the first
     * {@code keepSegments}, newest first; with {@code giveBack} false (the pool is closed: the
     * memory went back with it) only forgets them. Every one leaves the chain even if the
     * allocator refuses one; returns what it threw, or null.
     */
    Throwable rewind(int keepSegments, int keepBig, boolean giveBack) {
        Throwable failure = big.freeDownTo(keepBig, giveBack, null);
        while (count > keepSegments) {
            count--;
            views[count] = null;
            if (giveBack) {
                try {
                    source.give(segments[count]);
                } catch (RuntimeException | Error e) {
                    failure = Failures.add(failure, e);
                }
            }
        }
        return failure;
    }
}
