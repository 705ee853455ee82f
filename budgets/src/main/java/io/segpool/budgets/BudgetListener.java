package io.segpool.budgets;

/**
 * Hears what a {@link Budget} does, for a database that spills, logs or sheds load. Every method
 * has an empty default. A child made without a listener of its own uses its parent's.
 *
 * <p>Only the calls made <em>before</em> anything is committed may change the outcome:
 * {@link #beforeAllocate} may refuse by throwing, and {@link #onRefusal} may ask for one retry.
 * A call made after a commit ({@link #onHighWater}, {@link #onChildAdded}, {@link #onChildRemoved},
 * {@link #afterFree}) cannot undo it: what it throws is caught, counted in
 * {@link BudgetStats#listenerFailures()} and logged to the {@code System.Logger}
 * {@code io.segpool.budgets}, so a failing listener never leaks the block it was told about.
 */
public interface BudgetListener {

    /**
     * Called before a request is charged; throwing refuses it with nothing charged.
     *
     * @param budget the budget asked
     * @param size the bytes requested
     * @param blockSize the bytes the block takes, which the budget would charge
     */
    default void beforeAllocate(Budget budget, long size, long blockSize) {
    }

    /**
     * Called when a request is refused for a limit, with nothing charged; returning true retries
     * it once (after, say, spilling to disk and freeing blocks), and a second refusal throws.
     *
     * @param budget the budget asked
     * @param size the bytes requested
     * @param blockSize the bytes the block takes
     * @param refusal the exception that the request will throw unless the retry succeeds
     * @return true to retry the request once
     */
    default boolean onRefusal(Budget budget, long size, long blockSize, BudgetLimitException refusal) {
        return false;
    }

    /**
     * Called when the budget's use rises past its high-water mark
     * ({@link Budget#setHighWaterMark}), once per crossing.
     *
     * @param budget the budget whose use crossed its mark
     * @param used its use just after the crossing
     * @param mark the mark
     */
    default void onHighWater(Budget budget, long used, long mark) {
    }

    /**
     * Called when a child was made.
     *
     * @param parent the parent
     * @param child the new child
     */
    default void onChildAdded(Budget parent, Budget child) {
    }

    /**
     * Called when a child closed.
     *
     * @param parent the parent
     * @param child the closed child
     */
    default void onChildRemoved(Budget parent, Budget child) {
    }

    /**
     * Called after a block was freed and its bytes credited.
     *
     * @param budget the budget that owned the block
     * @param blockSize the bytes credited
     */
    default void afterFree(Budget budget, long blockSize) {
    }
}
