package io.segpool.budgets;

/**
 * Thrown by {@link Budget#close()} when blocks of the budget or of a descendant are still in use.
 * The budget is closed anyway (refusing new allocations), its unused reservation went back, and
 * its live bytes stay charged to its parent until they are freed; a free after the close still
 * returns the memory and credits the parent. {@link Budget#closeAndRelease()} frees them instead.
 *
 * <p>The message is "Memory was leaked by budget PATH" and the {@link #report()}: every budget of
 * the subtree with {@code res/used/peak/limit}, and its live blocks, each with the site that
 * allocated it when leak tracking was on for that budget ({@link Budget#trackLeaks(boolean)}).
 */
public final class BudgetLeakException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    /** The path of the budget closed. */
    private final String path;
    /** The tree report. */
    private final String report;
    /** The block bytes still live in the subtree. */
    private final long leakedBytes;

    BudgetLeakException(String path, String report, long leakedBytes) {
        super("Memory was leaked by budget " + path + " (" + leakedBytes + " bytes in live blocks)\n" + report);
        this.path = path;
        this.report = report;
        this.leakedBytes = leakedBytes;
    }

    /** {@return the path of the budget closed} */
    public String path() {
        return path;
    }

    /** {@return the tree report: one line per budget, then its live blocks} */
    public String report() {
        return report;
    }

    /** {@return the block bytes still in use in the subtree when it closed} */
    public long leakedBytes() {
        return leakedBytes;
    }
}
