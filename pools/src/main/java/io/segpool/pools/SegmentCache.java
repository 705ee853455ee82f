package io.segpool.pools;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The segments a {@link SegmentedStack} grew into and its frames' closes emptied, kept for the next
 * frames that cross the same edges: Go's stack cache, as deep as the pool's per-stack bound
 * ({@link StackPool#stackCacheBytes()}). A 1024-deep recursion of 1 KiB frames on 8 KiB segments
 * crosses 128 edges on the way down and empties 128 segments on the way up; with one spare, 127
 * of them go back to the allocator and come again on the next call. Kept here up to the bound, a
 * recursion that repeats calls the allocator on none of them.
 *
 * <p>Kept segments stay allocated, so they count in {@code StackInuse} (as Go counts its cached
 * stack spans), and they go back on the stack's close, its {@link SegmentedStack#flush()}, and
 * {@link StackPool#trim()}, which may run on any thread. So the slots are the one state here that
 * two threads touch: the owner fills them and takes from them, a trim steals from them. Only the
 * owner ever writes a non-zero address, and only into a slot it emptied (by its own take, or a
 * trim did), so filling is a release store (a trim can only empty the slot meanwhile, and its
 * atomic swap is ordered before or after the store, never between); taking and stealing are both
 * {@code getAndSet(0)}, so exactly one of them gets each address. A take reads the slot first and
 * pays the swap only when it holds a segment. All of this is on the segment-crossing slow path,
 * none on the bump.
 *
 * <p>The owner fills the slots as a stack from 0 up ({@link #depth} is its own plain count, which
 * a steal does not lower: a stolen slot reads 0 and a take passes over it) and {@link #views} are
 * the owner's own views of what it put there. The slot array is made at the first keep and never
 * replaced, so that a trim that read it sees the slots the owner uses.
 */
final class SegmentCache {

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);

    /** The most segments kept; at least 1. */
    private final int capacity;
    /** The kept segments' addresses, 0 where none; made once at the first keep, read by trims. */
    private volatile long[] slots;
    /** Owner only: the view of what the owner last put in each slot. */
    private MemorySegment[] views;
    /** Owner only: slots {@code [0, depth)} were filled by the owner and not taken back by it since. */
    private int depth;

    /** A cache of up to {@code capacity} segments, 1 or more. */
    SegmentCache(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("a segment cache keeps at least one segment: " + capacity);
        }
        this.capacity = capacity;
    }

    /** Owner only: {@return the slots the owner filled and did not take back; every slot above is empty} */
    int filled() {
        return depth;
    }

    /** {@return the most segments this cache keeps} */
    int capacity() {
        return capacity;
    }

    /**
     * Owner only: keeps the segment at {@code segment} if there is room; false, keeping nothing,
     * when the cache is full and the caller must give it back. The release store publishes the
     * owner's writes to the segment to a trim that steals it.
     */
    boolean keep(MemorySegment segment) {
        int at = depth;
        if (at == capacity) {
            return false;
        }
        long[] kept = slots;
        if (kept == null) {
            kept = new long[capacity];
            views = new MemorySegment[capacity];
            slots = kept;
        }
        views[at] = segment;
        SLOT.setRelease(kept, at, segment.address());
        depth = at + 1;
        return true;
    }

    /** Owner only: {@return the newest kept segment's view, taken out of its slot, or null when none is left} */
    MemorySegment take() {
        long[] kept = slots;
        while (depth > 0) {
            int at = --depth;
            MemorySegment view = views[at];
            views[at] = null;
            if ((long) SLOT.getOpaque(kept, at) != 0 && (long) SLOT.getAndSet(kept, at, 0L) != 0) {
                return view;
            }
            // a trim stole this one: look below it
        }
        return null;
    }

    /**
     * Any thread: {@return the address in slot {@code at}, taken out of it, or 0 when there is none}
     * The caller frees it by address; the owner's view of it is dropped at the owner's next take
     * or keep of that slot (the view of a freed block is never used: only a won swap returns it).
     */
    long steal(int at) {
        long[] kept = slots;
        // Read first: a trim passes over every slot of every stack, most of them empty.
        return kept == null || (long) SLOT.getOpaque(kept, at) == 0 ? 0 : (long) SLOT.getAndSet(kept, at, 0L);
    }

    /** Owner only, after stealing every slot itself: forgets the views, so the next keep fills slot 0. */
    void forget() {
        if (views != null) {
            java.util.Arrays.fill(views, 0, depth, null);
        }
        depth = 0;
    }

    /** Owner only: {@return how many segments are kept now, not counting ones a trim stole} */
    int kept() {
        long[] kept = slots;
        int count = 0;
        for (int at = 0; at < depth; at++) {
            if ((long) SLOT.getOpaque(kept, at) != 0) {
                count++;
            }
        }
        return count;
    }
}
