package io.segpool.jcstress;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

import java.util.concurrent.atomic.AtomicLong;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * {@link BudgetExactRace}'s shape on the accountant that budgets replace: add the request to a
 * shared counter, and roll it back if the sum passed the limit. This test is MEANT to fail: while
 * the 60 is added, the 40 sees 108 + 40 and is refused ({@code jcstress/run.sh broken} passes
 * only if that was seen).
 *
 * <p>Result: (40 served, 60 served).
 */
@JCStressTest
@Description("BudgetExactRace's shape on an add-then-roll-back counter: must show the 40 refused")
@Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "the 40 served (the race did not hit this time)")
@Outcome(id = "0, 0", expect = FORBIDDEN, desc = "the 40 refused while the 60 was briefly added")
@Outcome(expect = FORBIDDEN, desc = "any other result")
@State
public class BudgetRollbackBroken {

    private static final long LIMIT = 100;

    private final AtomicLong used = new AtomicLong(48);
    private int forty;
    private int sixty;

    private boolean charge(long bytes) {
        if (used.addAndGet(bytes) > LIMIT) {
            used.addAndGet(-bytes);
            return false;
        }
        return true;
    }

    @Actor
    public void asksSixty() {
        sixty = charge(60) ? 1 : 0;
    }

    @Actor
    public void asksForty() {
        forty = charge(40) ? 1 : 0;
    }

    @Arbiter
    public void arbiter(II_Result r) {
        r.r1 = forty;
        r.r2 = sixty;
    }
}
