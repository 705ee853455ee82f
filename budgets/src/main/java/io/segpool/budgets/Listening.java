package io.segpool.budgets;

/**
 * The cold paths of a budget's calls, kept out of its allocate and free so that those stay small
 * enough for the JIT to inline whole (and so to remove the segment object): the listener calls
 * after a commit, which catch and log what the listener throws, and a refused free's message.
 */
final class Listening {

    private static final System.Logger LOG = System.getLogger("io.segpool.budgets");

    private Listening() {
    }

    static void afterFree(Budget budget, BudgetListener listener, long block) {
        try {
            listener.afterFree(budget, block);
        } catch (RuntimeException e) {
            budget.listenerFailed("afterFree", e);
        }
    }

    /** Calls {@code n}'s onHighWater once for the crossing its pending flag marks. */
    static void highWater(Budget n) {
        long at;
        synchronized (n.tree.lock) {
            if (!n.highWaterPending) {
                return;
            }
            n.highWaterPending = false;
            at = n.used;
        }
        BudgetListener listener = n.listenerOrNull();
        if (listener != null) {
            try {
                listener.onHighWater(n, at, n.highWaterMark);
            } catch (RuntimeException e) {
                n.listenerFailed("onHighWater", e);
            }
        }
    }

    static void log(Budget budget, String call, RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "budget " + budget.path() + ": listener." + call
                + " threw after the commit; ignored", e);
    }

    /** The refusal of a free through {@code via} that the owner table answered with {@code found}. */
    static IllegalArgumentException refusedFree(Budget via, long found, long address, long size) {
        String call = "free(0x" + Long.toHexString(address) + ", " + size + ") through budget " + via.path();
        if (found == Owners.OTHER_OWNER) {
            Budget owner = via.tree.budget(via.tree.owners.ownerOf(address));
            return new IllegalArgumentException(call + ": the block belongs to budget "
                    + (owner == null ? "(freed meanwhile)" : owner.path()) + "; free it through its owner"
                    + " (nothing was changed)");
        }
        return new IllegalArgumentException(call + ": no live block of this budget tree starts there (never"
                + " allocated through a budget of the tree, or already freed)");
    }
}
