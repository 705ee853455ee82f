package io.segpool.jcstress;

import io.segpool.allocator.NativeAllocator;
import io.segpool.stats.MemStats;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * A refill racing a spill on one class, through the public API only. Each actor, on a fresh ring:
 * allocates one block (a refill), frees 33 blocks the state allocated (the 18th free finds the
 * ring full and spills 16), then allocates 33 (the 33rd empties the ring and refills). The two
 * threads' refills and spills meet on the class's central stack; the blocks an actor ends up
 * holding may have been freed by the other, but no block is held by both.
 *
 * <p>Result: (blocks held twice, accounting errors, allocator checks that threw).
 */
@JCStressTest
@Description("NativeAllocator.allocateAddress/freeAddress refill and spill of one class from two threads")
@Outcome(id = "0, 0, 0", expect = ACCEPTABLE, desc = "every held block once; Sys == Inuse + Cached + Central; mallocs, frees exact")
@Outcome(id = "[1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block seen twice: held by both actors at the end")
@Outcome(id = "0, [1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block lost or counted twice: MemStats sums or counts are off")
@Outcome(id = "0, 0, [1-9][0-9]*", expect = FORBIDDEN, desc = "the allocator's own checks threw (a block handed out while marked in use)")
@State
public class RefillSpillRace {

    private static final int FREED = 33;
    private static final int KEPT = 1 + FREED;

    private final NativeAllocator allocator = RaceChecks.newAllocator();
    private final long[] toFree1 = new long[FREED];
    private final long[] toFree2 = new long[FREED];
    private final long[] held1 = new long[KEPT];
    private final long[] held2 = new long[KEPT];
    /** Set by each actor on a refused operation; plain, read by the arbiter after both. */
    private int faults1;
    private int faults2;

    public RefillSpillRace() {
        for (int i = 0; i < FREED; i++) {
            toFree1[i] = allocator.allocateAddress(RaceChecks.SIZE);
            toFree2[i] = allocator.allocateAddress(RaceChecks.SIZE);
        }
    }

    @Actor
    public void actor1() {
        faults1 = work(toFree1, held1);
    }

    @Actor
    public void actor2() {
        faults2 = work(toFree2, held2);
    }

    private int work(long[] toFree, long[] held) {
        try {
            held[0] = allocator.allocateAddress(RaceChecks.SIZE);
            for (long address : toFree) {
                allocator.freeAddress(address, RaceChecks.SIZE);
            }
            for (int i = 1; i < held.length; i++) {
                held[i] = allocator.allocateAddress(RaceChecks.SIZE);
            }
            return 0;
        } catch (IllegalStateException e) {
            return 1;
        } finally {
        }
    }

    @Arbiter
    public void arbiter(III_Result r) {
        try {
            r.r1 = RaceChecks.seenTwice(held1, held2);
            MemStats stats = RaceChecks.stats(allocator);
            r.r2 = RaceChecks.accountingErrors(stats, 2 * FREED + 2 * KEPT, 2 * FREED, 0);
            r.r3 = faults1 + faults2;
        } finally {
            allocator.close();
        }
    }
}
