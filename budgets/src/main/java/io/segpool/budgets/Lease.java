package io.segpool.budgets;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Budget credit leased to the threads of one slot ({@link Budget#leaseFor}): bytes already
 * charged to the budget and its ancestors (so they count as used there) that an allocation on
 * this slot may spend, and a free on it may refill, with one compare-and-set on a line that no
 * other slot shares, instead of the tree's lock. Every change is a CAS, so the lease stays exact
 * whichever threads share the slot and when the tree takes the credit back
 * ({@link #drain()}) to decide a request that the credit would otherwise make it refuse.
 *
 * <p>{@link #DEAD} marks the lease of a closed budget: no fast path takes from or gives to it.
 */
final class Lease {

    /** The credit of a lease whose budget closed: every fast path goes to the locked path. */
    static final long DEAD = Long.MIN_VALUE;

    private static final VarHandle CREDIT;

    static {
        try {
            CREDIT = MethodHandles.lookup().findVarHandle(Lease.class, "credit", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // Padding on both sides keeps neighbouring leases (and the budget) off this cache line.
    long p01, p02, p03, p04, p05, p06, p07;
    private volatile long credit;
    long q01, q02, q03, q04, q05, q06, q07;

    /** Spends {@code bytes} of credit; false (nothing changed) when there is not enough. */
    boolean take(long bytes) {
        long c = credit;
        return c >= bytes && CREDIT.compareAndSet(this, c, c - bytes);
    }

    /**
     * Gives {@code bytes} back as credit, up to {@code cap}; false (nothing changed) when the
     * lease is dead or would pass {@code cap}, so the caller returns them through the tree.
     */
    boolean give(long bytes, long cap) {
        long c = credit;
        long n = c + bytes;
        return c >= 0 && n <= cap && CREDIT.compareAndSet(this, c, n);
    }

    /** Adds {@code bytes} the tree just charged for this lease; only under the tree's lock. */
    void grant(long bytes) {
        long c;
        do {
            c = credit;
        } while (!CREDIT.compareAndSet(this, c, c + bytes));
    }

    /** Takes all the credit back (it stays alive); only under the tree's lock. */
    long drain() {
        long c = (long) CREDIT.getAndSet(this, 0L);
        return Math.max(c, 0);
    }

    /** Takes all the credit back and marks the lease dead; only under the tree's lock. */
    long kill() {
        long c = (long) CREDIT.getAndSet(this, DEAD);
        return Math.max(c, 0);
    }

    /** {@return the credit now (0 for a dead lease)} */
    long credit() {
        return Math.max(credit, 0);
    }
}
