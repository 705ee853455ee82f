package io.segpool.budgets;

import java.util.ArrayList;
import java.util.List;

/**
 * {@link Budget#close()}, {@link Budget#closeAndRelease()} and the tree report. A close is one
 * pass under the tree's lock over the subtree, children before parents: each budget's leased
 * credit and open reservations go back, then its unused reservation goes to its parent. What is
 * still charged after that is live blocks, reported with the leak exception and left charged
 * (to the budget, and so to its parent) until freed.
 */
final class Closing {

    /** Live blocks listed per budget in a report; the rest are counted. */
    private static final int BLOCKS_LISTED = 20;
    /** Frames of an allocation site printed, after the budget's own frames. */
    private static final int FRAMES = 8;

    private Closing() {
    }

    static void close(Budget budget, boolean release) {
        if (release) {
            releaseAll(budget);
        }
        List<Budget> removed = new ArrayList<>();
        String report = null;
        long leaked = 0;
        BudgetTree tree = budget.tree;
        synchronized (tree.lock) {
            if (budget.closed) {
                return;
            }
            List<Budget> subtree = new ArrayList<>();
            collect(budget, subtree);
            for (Budget n : subtree) {
                if (!n.closed) {
                    long credit = n.leases.drain();
                    for (BudgetReservation r : n.reservations) {
                        credit += r.kill();
                    }
                    n.reservations.clear();
                    if (credit > 0) {
                        tree.uncharge(n, credit);
                    }
                }
            }
            for (Budget n : subtree) {
                leaked += n.allocated();
            }
            if (leaked > 0) {
                report = report(budget);
            }
            // Children first: the subtree was collected parents first.
            for (int i = subtree.size() - 1; i >= 0; i--) {
                Budget n = subtree.get(i);
                if (!n.closed) {
                    closeOne(tree, n, removed);
                }
            }
        }
        for (int i = 0; i < removed.size(); i++) {
            Budget child = removed.get(i);
            Budget parent = child.parent;
            if (parent.listenerOrNull() != null) {
                try {
                    parent.listenerOrNull().onChildRemoved(parent, child);
                } catch (RuntimeException e) {
                    parent.listenerFailed("onChildRemoved", e);
                }
            }
        }
        if (report != null) {
            throw new BudgetLeakException(budget.path(), report, leaked);
        }
    }

    private static void closeOne(BudgetTree tree, Budget n, List<Budget> removed) {
        n.closed = true;
        long credit = n.leases.kill();
        if (credit > 0) {
            tree.uncharge(n, credit);
        }
        long res = n.reservation;
        long used = n.used;
        if (n.parent != null && res > 0) {
            n.reservation = 0;
            long back = Math.max(0, res - used);
            if (back > 0) {
                tree.uncharge(n.parent, back);
            }
        }
        tree.open.remove(n);
        if (n.parent != null) {
            if (used == 0) {
                n.parent.children.remove(n);
            }
            removed.add(n);
        }
    }

    /** Whether a frame is the budget's own allocation path, which a site report skips. */
    private static boolean isOwnFrame(StackTraceElement e) {
        String c = e.getClassName();
        return c.equals(Budget.class.getName()) || c.equals(BudgetReservation.class.getName());
    }

    /** {@code budget} and its descendants, parents before children; under the lock. */
    private static void collect(Budget budget, List<Budget> into) {
        into.add(budget);
        for (int i = 0; i < budget.children.size(); i++) {
            collect(budget.children.get(i), into);
        }
    }

    /** Frees every live block of the subtree through its owner. */
    private static void releaseAll(Budget budget) {
        List<Budget> subtree = new ArrayList<>();
        synchronized (budget.tree.lock) {
            collect(budget, subtree);
        }
        for (Budget n : subtree) {
            List<long[]> live = new ArrayList<>();
            budget.tree.owners.forEach(n, (address, size, block, site) -> live.add(new long[] {address, size}));
            for (long[] b : live) {
                n.freeAddress(b[0], b[1]);
            }
        }
    }

    /** The tree report of {@code budget}; takes the tree's lock, then each owner stripe's. */
    static String report(Budget budget) {
        StringBuilder out = new StringBuilder();
        synchronized (budget.tree.lock) {
            report(budget, 0, out);
        }
        return out.toString();
    }

    private static void report(Budget n, int depth, StringBuilder out) {
        String indent = "  ".repeat(depth);
        BudgetStats s = new BudgetStats();
        n.readStats(s);
        out.append(indent).append(n.path()).append("  res ").append(s.reservation()).append("  used ")
                .append(s.used()).append("  peak ").append(s.peak()).append("  limit ").append(s.limit())
                .append("  blocks ").append(s.blocks()).append(n.closed ? "  (closed)" : "").append('\n');
        int[] listed = {0};
        n.tree.owners.forEach(n, (address, size, block, site) -> {
            if (listed[0]++ >= BLOCKS_LISTED) {
                return;
            }
            out.append(indent).append("  live block 0x").append(Long.toHexString(address)).append(": ")
                    .append(size).append(" bytes (a ").append(block).append("-byte block)");
            if (site == null) {
                out.append("; no allocation site (leak tracking off: Budget.trackLeaks(true))\n");
            } else {
                out.append(", allocated at\n");
                StackTraceElement[] trace = site.getStackTrace();
                int first = 0;
                while (first < trace.length && isOwnFrame(trace[first])) {
                    first++;
                }
                for (int i = first; i < Math.min(trace.length, first + FRAMES); i++) {
                    out.append(indent).append("      at ").append(trace[i]).append('\n');
                }
            }
        });
        if (listed[0] > BLOCKS_LISTED) {
            out.append(indent).append("  ... and ").append(listed[0] - BLOCKS_LISTED).append(" more live blocks\n");
        }
        for (int i = 0; i < n.children.size(); i++) {
            report(n.children.get(i), depth + 1, out);
        }
    }
}
