package io.segpool.budgets;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A budget's {@value #SLOTS} lease slots ({@link Lease}), one per group of threads by
 * {@code threadId & (SLOTS - 1)}: a slot is made by the first locked charge or credit from one
 * of its threads and read on the hot path with one acquire load. Threads that share a slot stay
 * exact (every change to a lease is a CAS); they only contend on its line.
 */
final class Leases {

    /** Slots per budget, a power of two. */
    static final int SLOTS = 16;
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Lease[].class);

    private final Lease[] slots = new Lease[SLOTS];

    private static int slot() {
        return (int) Thread.currentThread().threadId() & (SLOTS - 1);
    }

    /** {@return the calling thread's lease, or null while its slot has none} */
    Lease current() {
        return (Lease) SLOT.getAcquire(slots, slot());
    }

    /** {@return the calling thread's lease, made if missing}; under the tree's lock, the budget open. */
    Lease currentLocked() {
        int slot = slot();
        Lease lease = (Lease) SLOT.getAcquire(slots, slot);
        if (lease == null) {
            lease = new Lease();
            SLOT.setRelease(slots, slot, lease);
        }
        return lease;
    }

    /** Takes back every lease's credit, leases staying usable; under the tree's lock. */
    long drain() {
        long credit = 0;
        for (int i = 0; i < SLOTS; i++) {
            Lease lease = (Lease) SLOT.getAcquire(slots, i);
            if (lease != null) {
                credit += lease.drain();
            }
        }
        return credit;
    }

    /** Takes back every lease's credit and kills the leases, for close; under the tree's lock. */
    long kill() {
        long credit = 0;
        for (int i = 0; i < SLOTS; i++) {
            Lease lease = (Lease) SLOT.getAcquire(slots, i);
            if (lease != null) {
                credit += lease.kill();
            }
        }
        return credit;
    }
}
