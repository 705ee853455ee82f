package io.segpool.budgets;

import io.segpool.allocator.NativeAllocator;

import java.util.ArrayList;

/**
 * What the budgets of one tree share: the allocator, the owner table and the lock under which
 * every change to a budget's {@code used} is decided. A request is checked against every budget
 * on its path and then applied, both under the lock, so the decision is exact: nothing is added
 * first and rolled back, no budget passes its limit at any instant, and a request that fits is
 * never refused because another one is in flight. Threads avoid the lock with leased credit
 * ({@link Lease}); the lock is taken to refill or return a lease, and to decide near a limit.
 */
final class BudgetTree {

    final NativeAllocator allocator;
    final Owners owners = new Owners();
    /** Guards every budget's used, peak, reservation, children and leases' creation. */
    final Object lock = new Object();
    /** The budgets not yet closed, so that a refusal can take back all leased credit; under the lock. */
    final ArrayList<Budget> open = new ArrayList<>();

    /** Every budget ever made in this tree, by {@link Budget#id}; under the lock. */
    private final ArrayList<Budget> byId = new ArrayList<>();

    /** Registers a new budget and returns its id. */
    int register(Budget budget) {
        synchronized (lock) {
            byId.add(budget);
            return byId.size() - 1;
        }
    }

    /** {@return the budget of {@code id}, or null for -1} */
    Budget budget(int id) {
        synchronized (lock) {
            return id < 0 ? null : byId.get(id);
        }
    }

    BudgetTree(NativeAllocator allocator) {
        this.allocator = allocator;
    }

    /**
     * Charges {@code bytes} to {@code budget} and, for the part above each budget's reservation,
     * to its ancestors, if every one of them stays within its limit; else changes nothing.
     * Under the lock.
     *
     * @return null when charged, else the first budget on the path that would pass its limit
     */
    Budget tryCharge(Budget budget, long bytes) {
        long c = bytes;
        for (Budget n = budget; n != null && c > 0; n = n.parent) {
            long u = n.used;
            long nu = u + c;
            if (nu > n.limit || nu < 0) {
                return n;
            }
            c = above(nu, n.reservation) - above(u, n.reservation);
        }
        c = bytes;
        for (Budget n = budget; n != null && c > 0; n = n.parent) {
            long u = n.used;
            long nu = u + c;
            n.used = nu;
            if (nu > n.peak) {
                n.peak = nu;
            }
            if (u <= n.highWaterMark && nu > n.highWaterMark) {
                n.highWaterPending = true;
            }
            c = above(nu, n.reservation) - above(u, n.reservation);
        }
        return null;
    }

    /** Takes {@code bytes} off {@code budget} and what that frees above reservations off its ancestors. Under the lock. */
    void uncharge(Budget budget, long bytes) {
        long c = bytes;
        for (Budget n = budget; n != null && c > 0; n = n.parent) {
            long u = n.used;
            long nu = u - c;
            if (nu < 0) {
                throw new IllegalStateException("budget " + n.path() + ": credited " + c + " bytes with only "
                        + u + " used (a budget bug)");
            }
            n.used = nu;
            c = above(u, n.reservation) - above(nu, n.reservation);
            if (nu == 0 && n.closed && n.parent != null) {
                n.parent.children.remove(n);
            }
        }
    }

    private static long above(long used, long reservation) {
        return Math.max(0, used - reservation);
    }

    /** Takes back every open budget's leased credit; true if there was any. Under the lock. */
    boolean drainAll() {
        boolean any = false;
        for (int i = 0; i < open.size(); i++) {
            Budget b = open.get(i);
            long credit = b.leases.drain();
            if (credit > 0) {
                uncharge(b, credit);
                any = true;
            }
        }
        return any;
    }

    /** Arrow's headroom: {@code min(limit - used, parent.headroom + max(0, reservation - used))}. Under the lock. */
    static long headroom(Budget b) {
        long local = Math.max(0, b.limit - b.used);
        if (b.parent == null) {
            return local;
        }
        long fromParent = headroom(b.parent) + Math.max(0, b.reservation - b.used);
        return Math.min(local, fromParent);
    }

    /** The refusal of {@code block} bytes for {@code size} at {@code budget} by {@code refuser}; under the lock. */
    static BudgetLimitException refusal(Budget budget, Budget refuser, long size, long block) {
        StringBuilder m = new StringBuilder();
        m.append("budget ").append(budget.path()).append(" refused ").append(size).append(" bytes (a ")
                .append(block).append("-byte block): ").append(refuser.path()).append(" has used ")
                .append(refuser.used).append(" of its limit ").append(refuser.limit)
                .append("\nAllocation outcome details:");
        for (Budget n = budget; n != null; n = n.parent) {
            m.append("\n  ").append(n.path()).append(": used ").append(n.used).append(", reservation ")
                    .append(n.reservation).append(", limit ").append(n.limit).append(", headroom ")
                    .append(headroom(n));
            if (n == refuser) {
                m.append("  <- refused here");
            }
        }
        return new BudgetLimitException(m.toString(), budget.path(), refuser.path(), size, block,
                refuser.used, refuser.limit);
    }
}
