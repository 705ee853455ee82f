package io.segpool.pools;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The one segment a {@link SegmentedStack} keeps when a frame's close empties it, so that the next
 * frame to cross the same segment edge takes it back from here instead of the allocator: Go's
 * stack cache, one segment deep. Without it, a frame that crosses an edge gives a segment back and
 * takes one again every few frames, each a ring operation of the allocator.
 *
 * <p>The spare stays allocated, so it counts in {@code StackInuse} (as Go counts its cached stack
 * spans), and it goes back on the stack's close, its {@link SegmentedStack#flush()}, and
 * {@link StackPool#trim()}, which may run on any thread. So the slot is the one field here that
 * two threads touch: the owner fills it and takes from it, a trim steals from it, and any thread
 * may free a block by address. Only the owner ever writes a non-zero address, and only into an
 * empty slot, so filling is a release store of a slot it saw empty (a trim can only empty it
 * meanwhile, and its atomic swap is ordered before or after the store, never between); taking and
 * stealing are both {@code getAndSet(0)}, so exactly one of them gets the address. A take reads
 * the slot first and pays the swap only when it holds a segment: all of this is on the
 * segment-crossing slow path, none on the bump.
 *
 * <p>{@link #view} is the owner's own: the view of the segment it last put in the slot. The slot
 * only ever holds that address, so a take that wins the swap finds its view there.
 */
final class SpareSegment {

    private static final VarHandle SLOT;

    static {
        try {
            SLOT = MethodHandles.lookup().findVarHandle(SpareSegment.class, "slot", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The spare's address, 0 when none; written through {@link #SLOT} only. */
    @SuppressWarnings("unused")
    private volatile long slot;
    /** Owner only: the view of the address the owner last put in the slot. */
    private MemorySegment view;

    /** Owner only: {@return whether the slot is empty, so that {@link #keep} would keep a segment} */
    boolean isEmpty() {
        return (long) SLOT.getOpaque(this) == 0;
    }

    /**
     * Owner only, after {@link #isEmpty()} said true: keeps the segment at {@code view} as the
     * spare. The release store publishes the owner's writes to the segment to a trim that steals it.
     */
    void keep(MemorySegment segment) {
        view = segment;
        SLOT.setRelease(this, segment.address());
    }

    /** Owner only: {@return the spare's view, taken out of the slot, or null when there is none} */
    MemorySegment take() {
        if ((long) SLOT.getOpaque(this) == 0 || (long) SLOT.getAndSet(this, 0L) == 0) {
            return null; // none, or a trim stole it between the read and the swap
        }
        MemorySegment taken = view;
        view = null;
        return taken;
    }

    /**
     * Any thread: {@return the spare's address, taken out of the slot, or 0 when there is none}
     * The caller frees it by address; the owner's {@link #view} of it is only dropped at its next
     * {@link #keep} (the view of a freed block is never used: only a won swap reads it).
     */
    long steal() {
        return (long) SLOT.getAndSet(this, 0L);
    }
}
