package io.segpool.jcstress;

import io.segpool.budgets.Budget;
import io.segpool.budgets.BudgetLimitException;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

import java.lang.foreign.MemorySegment;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * Two threads charging one budget up to its limit: each asks for 20 blocks of 64 KiB from a
 * budget of 2 MiB (40 asked, 32 fit). Each thread leases credit (64 KiB at a time at this
 * limit), so the last blocks are decided only after the tree takes the other thread's idle credit
 * back: exactly 32 must be served whatever the interleaving (never over, never lost), and the
 * budget must read exactly 0 once they are freed and it is closed.
 *
 * <p>Result: (blocks served, errors: a use above the limit seen by an actor, a final use other
 * than the blocks held, or a use other than 0 after the frees and close).
 */
@JCStressTest
@Description("Budget: two threads ask 40 x 64 KiB of a 2 MiB budget with leased credit: exactly 32 served")
@Outcome(id = "32, 0", expect = ACCEPTABLE, desc = "exactly the limit served, never over, 0 at the end")
@Outcome(id = "3[0-1], .*", expect = FORBIDDEN, desc = "a block that fitted was refused (credit not taken back)")
@Outcome(expect = FORBIDDEN, desc = "over the limit, or accounting errors")
@State
public class BudgetAtLimitRace {

    private static final long BLOCK = 64 << 10;
    private static final long LIMIT = 32 * BLOCK;
    private static final int ASKS = 20;

    private final Budget root = Budget.root(BudgetExactRace.ALLOCATOR, "db", LIMIT);
    private final MemorySegment[] got1 = new MemorySegment[ASKS];
    private final MemorySegment[] got2 = new MemorySegment[ASKS];
    private int errors1;
    private int errors2;

    @Actor
    public void first() {
        errors1 = charge(got1);
    }

    @Actor
    public void second() {
        errors2 = charge(got2);
    }

    private int charge(MemorySegment[] got) {
        int errors = 0;
        for (int i = 0; i < ASKS; i++) {
            try {
                got[i] = root.allocate(BLOCK);
            } catch (BudgetLimitException refused) {
                // full: the arbiter counts what was served
            }
            errors += root.used() > LIMIT ? 1 : 0;
        }
        return errors;
    }

    @Arbiter
    public void arbiter(II_Result r) {
        int served = 0;
        for (MemorySegment[] got : new MemorySegment[][] {got1, got2}) {
            for (MemorySegment s : got) {
                served += s != null ? 1 : 0;
            }
        }
        int errors = errors1 + errors2 + (root.allocated() != served * BLOCK ? 1 : 0);
        for (MemorySegment[] got : new MemorySegment[][] {got1, got2}) {
            for (MemorySegment s : got) {
                if (s != null) {
                    root.free(s);
                }
            }
        }
        root.close();
        errors += root.used() != 0 ? 1 : 0;
        r.r1 = served;
        r.r2 = errors;
    }
}
