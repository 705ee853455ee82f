/**
 * Budgets for databases: a tree of {@link io.segpool.budgets.Budget}s (root, query, operator)
 * with Arrow's limit and reservation rules, listeners and leak reports, over one shared
 * {@code NativeAllocator}. The allocator is in the budget's signatures, hence
 * {@code requires transitive}.
 */
module io.segpool.budgets {
    requires transitive io.segpool.allocator;

    exports io.segpool.budgets;
}
