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
 * The shape of {@link DeadBorrowReclaimRace} on a stripe whose reclaim is a check-then-set
 * ({@link ModelStripes#reclaimUnsafely}: read the dead holder, flush its ring, write the new owner)
 * instead of one compare-and-set of the owner: the bug where two borrowers both see the holder
 * ended and both take its stripe. This test is MEANT to fail: {@code jcstress/run.sh broken} passes
 * only if it sees a FORBIDDEN outcome, proving that the shape's two borrowers meet on the reclaim.
 *
 * <p>As in the real shape, one stripe is left to borrow (the real one makes every other stripe
 * busy with a live holder), held by a virtual thread that took blocks, gave half back into its
 * ring and ended without giving the stripe back. Each actor starts a virtual thread that borrows it
 * (a free stripe by compare-and-set, a dead holder's by the broken reclaim), takes a ring's
 * capacity and one more block, gives every other one back, and then gives the stripe back
 * (actor 1) or ends holding it (actor 2).
 *
 * <p>Result: (blocks seen twice, accounting errors, borrowers that threw or hung).
 */
@JCStressTest
@Description("DeadBorrowReclaimRace's shape on a reclaim by check-then-set: must show FORBIDDEN outcomes")
@Outcome(id = "0, 0, 0", expect = ACCEPTABLE, desc = "one borrower at a time (the race did not hit this time)")
@Outcome(id = "[1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block seen twice: held by both borrowers, or held and stacked")
@Outcome(id = "0, [1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block lost or counted twice: Sys != Central + the blocks held")
@Outcome(id = "0, 0, [1-9][0-9]*", expect = FORBIDDEN, desc = "a borrower ran off a torn ring, or hung")
@Outcome(expect = FORBIDDEN, desc = "any other result")
@State
public class DeadBorrowReclaimBroken {

    private final SizeCase sizes = SizeCase.DEFAULT;
    private final NativeAllocator allocator = RaceChecks.newAllocator();
    private final ModelStripes stripes = new ModelStripes(allocator, sizes, 1);
    private final StartGate gate = new StartGate(2);
    private final ModelBorrower dead = new ModelBorrower(false, null);
    private final ModelBorrower first = new ModelBorrower(true, gate);
    private final ModelBorrower second = new ModelBorrower(false, gate);

    public DeadBorrowReclaimBroken() {
        if (!RaceChecks.ended(dead.start())) {
            throw new IllegalStateException("the state's borrower did not end");
        }
    }

    @Actor
    public void actor1() {
        first.hung = RaceChecks.joined(first.start()) ? 0 : 1;
    }

    @Actor
    public void actor2() {
        second.hung = RaceChecks.joined(second.start()) ? 0 : 1;
    }

    @Arbiter
    public void arbiter(III_Result r) {
        try {
            RaceChecks.ended(first.thread);
            RaceChecks.ended(second.thread);
            long[] inRing = stripes.rings[0].held();
            long[] stacked = ModelRing.stacked(allocator, sizes);
            r.r1 = RaceChecks.seenTwice(dead.kept, first.kept, second.kept, inRing, stacked);
            MemStats stats = RaceChecks.stats(allocator);
            long heldBytes = RaceChecks.distinct(dead.kept, first.kept, second.kept, inRing) * sizes.size();
            r.r2 = RaceChecks.accountingErrors(stats, sizes.size(), 0, 0, heldBytes);
            r.r3 = first.hung + second.hung + first.threw + second.threw;
        } finally {
            allocator.close();
        }
    }

    /** A borrower on the model stripe, as {@link Borrower} is on the allocator's. */
    private final class ModelBorrower implements Runnable {
        private final boolean givesBack;
        private final StartGate gate;
        long[] kept = new long[0];
        int threw;
        int hung;
        Thread thread;

        ModelBorrower(boolean givesBack, StartGate gate) {
            this.givesBack = givesBack;
            this.gate = gate;
        }

        Thread start() {
            thread = Thread.ofVirtual().start(this);
            return thread;
        }

        @Override
        public void run() {
            if (gate != null) {
                gate.arriveAndAwait();
            }
            Thread me = Thread.currentThread();
            long deadline = System.nanoTime() + RaceChecks.JOIN_TIMEOUT.toNanos();
            while (!stripes.tryTake(0, me) && !stripes.reclaimUnsafely(0, me)) {
                if (System.nanoTime() - deadline > 0) {
                    threw = 1; // gave up: no stripe came back
                    return;
                }
                Thread.yield();
            }
            try {
                ModelRing ring = stripes.rings[0];
                long[] got = new long[sizes.capacity() + 1];
                for (int i = 0; i < got.length; i++) {
                    got[i] = ring.take();
                }
                long[] keep = new long[got.length / 2];
                for (int i = 0; i < got.length; i++) {
                    if (i % 2 == 0) {
                        ring.put(got[i]);
                    } else {
                        keep[i / 2] = got[i];
                    }
                }
                kept = keep;
            } catch (RuntimeException torn) {
                threw = 1;
            } finally {
                if (givesBack) {
                    stripes.release(0);
                }
            }
        }
    }
}
