package io.segpool.pools;

/**
 * The refusals and failure reports of a {@link DeferScope}, off its defer-and-run path: each
 * names what was refused and why, in the words the pools use for the same rule elsewhere.
 */
final class ScopeRefusals {

    /** How every report of a pool closed under a scope begins, so that close does not say it twice. */
    private static final String POOL_CLOSED = "this DeferScope's pool is closed";

    private ScopeRefusals() {
    }

    /** A run stopped because an action (or another thread) closed the pool; {@code pending} actions did not run. */
    static IllegalStateException closedPool(int pending, Throwable cause) {
        return new IllegalStateException(POOL_CLOSED + ": its memory went back to the OS, and " + pending
                + " deferred action" + (pending == 1 ? " was" : "s were") + " not run", cause);
    }

    /** A defer's copy into its block failed because the pool closed meanwhile. */
    static IllegalStateException closedDuringDefer(Throwable cause) {
        return new IllegalStateException(POOL_CLOSED + ": its memory went back to the OS", cause);
    }

    /**
     * Why a close dropped {@code dropped} pending defers of a closed pool, added to {@code failure};
     * {@code failure} alone when nothing was dropped or it said so already (an action closed the
     * pool, and the run reported it).
     */
    static Throwable dropped(int dropped, Throwable failure) {
        if (dropped == 0 || failure instanceof IllegalStateException && failure.getMessage() != null
                && failure.getMessage().startsWith(POOL_CLOSED)) {
            return failure;
        }
        return Failures.add(new IllegalStateException("this DeferScope's pool was closed with " + dropped
                + " deferred action" + (dropped == 1 ? "" : "s") + " pending: they cannot run over memory that"
                + " went back to the OS"), failure);
    }

    static IllegalStateException tooManyPending() {
        return new IllegalStateException("a DeferScope holds at most " + DeferScope.MAX_PENDING + " pending defers:"
                + " run them before deferring more");
    }

    /** The run would go on on this thread while the new owner used the scope, and free into the wrong cache. */
    static IllegalStateException moveWhileRunning() {
        return new IllegalStateException("cannot move a DeferScope while its deferred actions run: move it after"
                + " runDeferred() returns");
    }

    static IllegalArgumentException moveToEnded(Thread newOwner) {
        return new IllegalArgumentException("cannot move a DeferScope to " + newOwner + ": that thread has ended,"
                + " so nothing could run or close the scope");
    }
}
