package io.segpool.budgets;

/**
 * Thrown when a request would take a budget, or one of its ancestors, past its limit. Nothing was
 * charged or changed: free blocks (or spill) and the same request may succeed. Like the
 * allocator's {@code MemoryLimitException}, a limit the user set is an ordinary condition that
 * query code catches and recovers from, so this is a {@link RuntimeException}.
 *
 * <p>The message names the budget asked, the request and its block size, the budget that
 * refused, and one line per budget from the one asked up to the root with its use, reservation,
 * limit and headroom at the moment of the decision (Arrow's "Allocation outcome details").
 */
public final class BudgetLimitException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The path of the budget asked. */
    private final String path;
    /** The path of the budget that refused. */
    private final String refusedBy;
    /** The bytes requested. */
    private final long requested;
    /** The block size of the request. */
    private final long blockSize;
    /** The refusing budget's use at the refusal. */
    private final long used;
    /** The refusing budget's limit. */
    private final long limit;

    BudgetLimitException(String message, String path, String refusedBy, long requested, long blockSize,
            long used, long limit) {
        super(message);
        this.path = path;
        this.refusedBy = refusedBy;
        this.requested = requested;
        this.blockSize = blockSize;
        this.used = used;
        this.limit = limit;
    }

    /** {@return the path of the budget asked} */
    public String path() {
        return path;
    }

    /** {@return the path of the budget whose limit refused: the one asked or an ancestor} */
    public String refusedBy() {
        return refusedBy;
    }

    /** {@return the bytes requested} */
    public long requested() {
        return requested;
    }

    /** {@return the bytes of the block the request needed, which the budget would have charged} */
    public long blockSize() {
        return blockSize;
    }

    /** {@return the refusing budget's use when it refused} */
    public long used() {
        return used;
    }

    /** {@return the refusing budget's limit} */
    public long limit() {
        return limit;
    }
}
