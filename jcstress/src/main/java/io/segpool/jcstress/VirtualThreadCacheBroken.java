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
 * The shape of {@link VirtualThreadCacheRace} on stripes taken with a check-then-set of their flag
 * ({@link ModelStripes#takeUnsafely}) instead of a compare-and-set: the bug where two virtual
 * threads both see a stripe free and both use its ring. This test is MEANT to fail:
 * {@code jcstress/run.sh broken} passes only if it sees a FORBIDDEN outcome, proving that the
 * shape's two virtual threads overlap on a stripe and its checks see it.
 *
 * <p>Each actor starts a virtual thread that takes 40 blocks of 1024 B and puts 20 back, taking a
 * stripe for each operation and giving it back after, as the real shape's calls do. There is one
 * stripe, as if both threads' ids picked the same one first (the real code picks by thread id).
 *
 * <p>Result: (blocks seen twice, accounting errors, virtual threads that failed or hung).
 */
@JCStressTest
@Description("VirtualThreadCacheRace's shape on stripes taken by check-then-set: must show FORBIDDEN outcomes")
@Outcome(id = "0, 0, 0", expect = ACCEPTABLE, desc = "every block once (the race did not hit this time)")
@Outcome(id = "[1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block seen twice: held by both virtual threads, or held and stacked")
@Outcome(id = "0, [1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block lost: Sys != Central + the blocks held")
@Outcome(id = "0, 0, [1-9][0-9]*", expect = FORBIDDEN, desc = "a virtual thread ran off a torn ring, or hung")
@Outcome(expect = FORBIDDEN, desc = "any other result")
@State
public class VirtualThreadCacheBroken {

    private static final int ALLOCATED = 40;
    private static final int FREED = 20;

    private final SizeCase sizes = SizeCase.DEFAULT;
    private final NativeAllocator allocator = RaceChecks.newAllocator();
    private final ModelStripes stripes = new ModelStripes(allocator, sizes, 1);
    private final long[] held1 = new long[ALLOCATED - FREED];
    private final long[] held2 = new long[ALLOCATED - FREED];
    /** The two virtual threads meet here before their first call, so that their calls overlap. */
    private final StartGate gate = new StartGate(2);
    private int faults1;
    private int faults2;

    @Actor
    public void actor1() {
        faults1 = inVirtualThread(held1);
    }

    @Actor
    public void actor2() {
        faults2 = inVirtualThread(held2);
    }

    private int inVirtualThread(long[] held) {
        int[] fault = new int[1];
        Thread thread = Thread.ofVirtual().start(() -> {
            gate.arriveAndAwait();
            try {
                Thread me = Thread.currentThread();
                long[] all = new long[ALLOCATED];
                for (int i = 0; i < all.length; i++) {
                    int s = stripes.takeUnsafely(me);
                    try {
                        all[i] = stripes.rings[s].take();
                    } finally {
                        stripes.release(s); // a torn ring throws: the other thread must not spin on
                    }
                }
                for (int i = 0; i < all.length; i++) {
                    if (i < FREED) {
                        int s = stripes.takeUnsafely(me);
                        try {
                            stripes.rings[s].put(all[i]);
                        } finally {
                            stripes.release(s);
                        }
                    } else {
                        held[i - FREED] = all[i];
                    }
                }
            } catch (RuntimeException torn) {
                fault[0] = 1;
            }
        });
        return RaceChecks.joined(thread) ? fault[0] : 1;
    }

    @Arbiter
    public void arbiter(III_Result r) {
        try {
            long[] inRing = stripes.rings[0].held();
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
