package io.segpool.budgets;

/**
 * A budget's figures at one moment, filled by {@link Budget#readStats(BudgetStats)} without
 * allocating, so a monitor can reuse one snapshot for every read.
 *
 * <p>{@link #used()} is what the limit is checked against: the block bytes of live blocks plus
 * the credit leased to threads ({@link #leased()}), which is already charged so that a thread
 * allocates without the tree's lock. While credit is out, a reader sees {@code used} above
 * {@code allocated} by at most the leases' cap (see {@link Budget}), never above the limit;
 * {@link Budget#flush()}, {@link Budget#close()} and any request that the credit would otherwise
 * make the budget refuse take it back, so {@code used == allocated} then. Each figure is read
 * atomically; together they are a consistent snapshot only while no thread allocates or frees.
 */
public final class BudgetStats {

    long allocated;
    long requested;
    long blocks;
    long used;
    long peak;
    long limit;
    long reservation;
    long headroom;
    int children;
    long listenerFailures;
    boolean closed;

    /** An empty snapshot, to pass to {@link Budget#readStats(BudgetStats)}. */
    public BudgetStats() {
    }

    /** {@return the block bytes of the budget's live blocks (the unit of the allocator's Inuse)} */
    public long allocated() {
        return allocated;
    }

    /** {@return the bytes requested for the live blocks, before rounding to block sizes} */
    public long requested() {
        return requested;
    }

    /** {@return the number of live blocks} */
    public long blocks() {
        return blocks;
    }

    /** {@return the bytes counted against the limit: live blocks, leased credit and open reservations} */
    public long used() {
        return used;
    }

    /** {@return the credit leased to threads and open reservations: {@code used - allocated}, at least 0} */
    public long leased() {
        return Math.max(0, used - allocated);
    }

    /** {@return the highest {@link #used()} so far} */
    public long peak() {
        return peak;
    }

    /** {@return the limit} */
    public long limit() {
        return limit;
    }

    /** {@return the reservation taken from the parent (0 for a root and once closed)} */
    public long reservation() {
        return reservation;
    }

    /** {@return the bytes a request could take now: Arrow's formula, see {@link Budget#headroom()}} */
    public long headroom() {
        return headroom;
    }

    /** {@return the number of children not yet closed} */
    public int children() {
        return children;
    }

    /** {@return how many listener calls after a commit threw (and were caught)} */
    public long listenerFailures() {
        return listenerFailures;
    }

    /** {@return whether the budget is closed} */
    public boolean closed() {
        return closed;
    }
}
