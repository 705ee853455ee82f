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
 * The shape of {@link SpillFaultRefillRace} on a ring ({@link ModelRing}, over the real central
 * stack) whose spill faults between its two halves: the batch is pushed onto the central stack,
 * then the step after it throws (as the eviction of a held span does) before the batch leaves the
 * ring, which is what today's {@code RingCache.putSlow} does. This test is MEANT to fail:
 * {@code jcstress/run.sh broken} passes only if it sees a FORBIDDEN outcome, proving that the
 * shape's checks see the blocks such a spill hands out twice.
 *
 * <p>Actor 1 puts a ring's capacity and one more of the state's blocks into its ring (the last put
 * spills and faults), then takes as many; actor 2 takes a batch and one more through a ring of its
 * own, refilling from the same central stack.
 *
 * <p>Result: (blocks seen twice, accounting errors, puts that threw).
 */
@JCStressTest
@Description("SpillFaultRefillRace's shape on a spill that faults between its halves: must show FORBIDDEN outcomes")
@Outcome(id = "0, 0, 1", expect = ACCEPTABLE, desc = "every block in one place: the checks missed the batch left in two places")
@Outcome(id = "[1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block seen twice: the faulted spill left its batch in the ring and on the stack")
@Outcome(id = "0, [1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block counted twice: Sys != Central + the blocks held")
@Outcome(expect = FORBIDDEN, desc = "any other result")
@State
public class SpillFaultBroken {

    private final SizeCase sizes = SizeCase.DEFAULT;
    private final NativeAllocator allocator = RaceChecks.newAllocator();
    private final ModelRing ring1 = new ModelRing(allocator, sizes);
    private final ModelRing ring2 = new ModelRing(allocator, sizes);
    private final long[] toFree1 = ModelRing.centralBlocks(allocator, sizes, sizes.capacity() + 1);
    private final long[] held1 = new long[toFree1.length];
    private final long[] held2 = new long[sizes.batch() + 1];
    private int faults1;
    private long faulted;

    /** The broken put: a full ring's spill pushes its oldest batch, then faults before dropping it. */
    private void put(long offset) {
        if (ring1.count == ring1.slots.length) {
            ring1.spillOldest();
            throw new IllegalStateException("Session is acquired by 1 clients (a modelled eviction fault)");
        }
        ring1.slots[ring1.count++] = offset;
    }

    @Actor
    public void actor1() {
        for (long offset : toFree1) {
            try {
                put(offset);
            } catch (IllegalStateException refusedEviction) {
                faults1++;
                faulted = offset;
            }
        }
        for (int i = 0; i < held1.length; i++) {
            held1[i] = ring1.take();
        }
    }

    @Actor
    public void actor2() {
        for (int i = 0; i < held2.length; i++) {
            held2[i] = ring2.take();
        }
    }

    @Arbiter
    public void arbiter(III_Result r) {
        try {
            long[] inRings = concat(ring1.held(), ring2.held());
            long[] stacked = ModelRing.stacked(allocator, sizes);
            long[] stillOut = {faulted}; // the faulted put did not take its block
            r.r1 = RaceChecks.seenTwice(held1, held2, inRings, stacked, stillOut);
            MemStats stats = RaceChecks.stats(allocator);
            long heldBytes = RaceChecks.distinct(held1, held2, inRings, stillOut) * sizes.size();
            r.r2 = RaceChecks.accountingErrors(stats, sizes.size(), 0, 0, heldBytes);
            r.r3 = faults1;
        } finally {
            allocator.close();
        }
    }

    private static long[] concat(long[] a, long[] b) {
        long[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
