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
 * The shape of {@link RefillSpillRace} with both actors on ONE ring ({@link ModelRing}, over the
 * real central stack): the bug where two threads find the same cache (a cache table slot shared,
 * an owner check missing). This test is MEANT to fail: {@code jcstress/run.sh broken} passes only
 * if it sees a FORBIDDEN outcome, proving that the shape's checks see blocks handed out twice
 * when a ring is not confined to one thread.
 *
 * <p>Each actor takes one block, puts back a ring's capacity and one more of the blocks the state
 * took for it (a spill), then takes that many and one more (a refill), as in the real shape.
 *
 * <p>Result: (blocks seen twice, accounting errors, actors that ran off the ring).
 */
@JCStressTest
@Description("RefillSpillRace's shape with both actors on one unlocked ring: must show FORBIDDEN outcomes")
@Outcome(id = "0, 0, 0", expect = ACCEPTABLE, desc = "every block once (the race did not hit this time)")
@Outcome(id = "[1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block seen twice: held by both actors, or held and in the ring or on the stack")
@Outcome(id = "0, [1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block lost: Sys != Central + the blocks held")
@Outcome(id = "0, 0, [1-9][0-9]*", expect = FORBIDDEN, desc = "a torn ring: an actor's index ran off it")
@Outcome(expect = FORBIDDEN, desc = "any other result")
@State
public class RefillSpillBroken {

    private final SizeCase sizes = SizeCase.DEFAULT;
    private final int freed = sizes.capacity() + 1;
    private final int kept = 1 + freed;
    private final NativeAllocator allocator = RaceChecks.newAllocator();
    private final ModelRing shared = new ModelRing(allocator, sizes);
    private final long[] toFree1 = ModelRing.centralBlocks(allocator, sizes, freed);
    private final long[] toFree2 = ModelRing.centralBlocks(allocator, sizes, freed);
    private final long[] held1 = new long[kept];
    private final long[] held2 = new long[kept];
    private int faults1;
    private int faults2;

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
            held[0] = shared.take();
            for (long offset : toFree) {
                shared.put(offset);
            }
            for (int i = 1; i < held.length; i++) {
                held[i] = shared.take();
            }
            return 0;
        } catch (RuntimeException torn) {
            return 1; // the racy count ran off the ring (an index out of bounds)
        }
    }

    @Arbiter
    public void arbiter(III_Result r) {
        try {
            long[] inRing = shared.held();
            long[] stacked = ModelRing.stacked(allocator, sizes);
            r.r1 = RaceChecks.seenTwice(held1, held2, inRing, stacked);
            MemStats stats = RaceChecks.stats(allocator);
            long heldBytes = RaceChecks.distinct(held1, held2, inRing) * sizes.size();
            r.r2 = RaceChecks.accountingErrors(stats, sizes.size(), 0, 0, heldBytes);
            r.r3 = faults1 + faults2;
        } finally {
            allocator.close();
        }
    }
}
