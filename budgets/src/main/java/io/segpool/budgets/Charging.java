package io.segpool.budgets;

/**
 * The locked halves of a budget's charge and credit, for when the calling thread's lease cannot
 * serve: a charge takes the block and, while it fits, a chunk of credit for the lease; a request
 * that does not fit has every lease's credit taken back and is decided again before it is
 * refused, and the listener may then ask for one retry (outside the lock, so that it can free).
 */
final class Charging {

    private Charging() {
    }

    static void takeLocked(Budget b, long size, long block, BudgetListener l) {
        for (int attempt = 0; ; attempt++) {
            BudgetLimitException refusal;
            synchronized (b.tree.lock) {
                b.checkOpen();
                long chunk = b.leaseChunk;
                if (chunk > 0 && b.tree.tryCharge(b, block + chunk) == null) {
                    b.leases.currentLocked().grant(chunk);
                    refusal = null;
                } else {
                    Budget refuser = b.charge(block);
                    refusal = refuser == null ? null : BudgetTree.refusal(b, refuser, size, block);
                }
            }
            if (refusal == null) {
                b.fireHighWater();
                return;
            }
            if (attempt > 0 || l == null || !l.onRefusal(b, size, block, refusal)) {
                throw refusal;
            }
        }
    }

    /** Gives {@code block} bytes back: to the calling slot's lease while it has room, else through the tree. */
    static void credit(Budget b, long block) {
        long cap = 2 * b.leaseChunk;
        Lease lease = b.leases.current();
        if (lease != null && lease.give(block, cap)) {
            return;
        }
        synchronized (b.tree.lock) {
            if (!b.closed && cap > 0 && block <= cap) {
                Lease own = b.leases.currentLocked();
                if (own.credit() + block <= cap) {
                    own.grant(block);
                    return;
                }
            }
            b.tree.uncharge(b, block);
        }
    }
}
