package io.segpool.jcstress;

import io.segpool.allocator.NativeAllocator;
import io.segpool.budgets.Budget;
import io.segpool.budgets.BudgetLimitException;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

import java.lang.foreign.MemorySegment;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * Issue 19's 50/60/40 case, in class-sized blocks: a budget of 100 KiB holds a 48 KiB block;
 * one actor asks 60 KiB (which cannot fit), the other 40 KiB (which fits whatever the first
 * does). An accountant that adds first and rolls back on failure can refuse the 40 KiB while the
 * 60 KiB is briefly added ({@link BudgetRollbackBroken} shows it); a budget decides each request
 * against {@code limit - used} exactly, so the 40 KiB always succeeds. Each actor also reads the
 * use just after its call, which must never pass the limit.
 *
 * <p>Result: (40 KiB served, 60 KiB served, errors: a use above the limit seen, or a final use
 * other than the blocks held, or the tree not back to 0 after the frees). One allocator for the
 * VM (budgets are cheap; an allocator per state would mmap millions of times).
 */
@JCStressTest
@Description("Budget: used 48 KiB of 100 KiB, 60 KiB and 40 KiB asked at once: the 40 KiB always fits")
@Outcome(id = "1, 0, 0", expect = ACCEPTABLE, desc = "the 40 KiB served, the 60 KiB refused, never over the limit")
@Outcome(id = "0, .*", expect = FORBIDDEN, desc = "the 40 KiB refused although it fitted at every instant")
@Outcome(id = "1, 1, .*", expect = FORBIDDEN, desc = "both served: the budget passed its limit")
@Outcome(expect = FORBIDDEN, desc = "accounting errors")
@State
public class BudgetExactRace {

    static final NativeAllocator ALLOCATOR = NativeAllocator.create();
    private static final long LIMIT = 100 << 10;

    private final Budget root = Budget.root(ALLOCATOR, "db", LIMIT);
    private final Budget query = root.newChild("query", 0, LIMIT);
    private final MemorySegment held = query.allocate(48 << 10);
    private MemorySegment forty;
    private MemorySegment sixty;
    private int errors1;
    private int errors2;

    @Actor
    public void asksSixty() {
        try {
            sixty = query.allocate(60 << 10);
        } catch (BudgetLimitException expected) {
            // refused: 48 + 60 > 100
        }
        errors1 = query.used() > LIMIT || root.used() > LIMIT ? 1 : 0;
    }

    @Actor
    public void asksForty() {
        try {
            forty = query.allocate(40 << 10);
        } catch (BudgetLimitException wrong) {
            // refused: the arbiter reports it
        }
        errors2 = query.used() > LIMIT || root.used() > LIMIT ? 1 : 0;
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r1 = forty != null ? 1 : 0;
        r.r2 = sixty != null ? 1 : 0;
        long expected = NativeAllocator.blockSize(48 << 10) + (forty != null ? NativeAllocator.blockSize(40 << 10) : 0)
                + (sixty != null ? NativeAllocator.blockSize(60 << 10) : 0);
        int errors = errors1 + errors2 + (query.used() != expected || root.used() != expected ? 1 : 0);
        query.free(held);
        if (forty != null) {
            query.free(forty);
        }
        if (sixty != null) {
            query.free(sixty);
        }
        root.close();
        errors += root.used() != 0 ? 1 : 0;
        r.r3 = errors;
    }
}
