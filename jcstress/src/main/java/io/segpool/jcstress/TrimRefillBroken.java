package io.segpool.jcstress;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * The shape of {@link TrimRefillRace} on {@link TwoStepTrimStack}, whose trim picks its chunks and
 * takes them off the stack in two locked steps. This test is MEANT to fail:
 * {@code jcstress/run.sh broken} passes only if it sees a FORBIDDEN outcome, proving that the
 * shape's checks see a block handed out from a chunk the trim released.
 *
 * <p>As in the real shape: three chunks are carved and all their blocks are on the stack; one actor
 * refills a batch of 16 and stamps each block, the other trims. Afterwards a block in the ring
 * must be in a chunk that was not released, with its stamp.
 *
 * <p>Result: (blocks seen twice, blocks lost or counted twice, blocks of a released chunk or
 * whose stamp was wiped, chunks released).
 */
@JCStressTest
@Description("TrimRefillRace's shape on a trim that picks and removes its chunks in two steps: must show FORBIDDEN outcomes")
@Outcome(id = "0, 0, 0, [23]", expect = ACCEPTABLE, desc = "refill or trim first (the race did not hit this time)")
@Outcome(id = "[1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block seen twice: in the refilled batch and on the stack")
@Outcome(id = "0, [1-9][0-9]*, .*", expect = FORBIDDEN, desc = "blocks held, stacked and released do not add up to those carved")
@Outcome(id = "0, 0, [1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block handed out from a released chunk, or its stamp wiped by the release")
@Outcome(expect = FORBIDDEN, desc = "any other result")
@State
public class TrimRefillBroken {

    private static final int BATCH = 16;

    private final TwoStepTrimStack central = new TwoStepTrimStack();
    private final long[] ring = new long[BATCH];
    private int released;

    public TrimRefillBroken() {
        for (int c = 0; c < 3; c++) {
            central.carveChunk();
        }
    }

    @Actor
    public void refill() {
        central.refill(ring, BATCH);
        for (long offset : ring) {
            central.memory[TwoStepTrimStack.indexOf(offset)] = ~offset;
        }
    }

    @Actor
    public void trim() {
        released = central.trim();
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        long[] stacked = central.stacked();
        r.r1 = RaceChecks.seenTwice(ring, stacked);
        int releasedBlocks = 0;
        for (int c = 0; c < central.carved(); c++) {
            releasedBlocks += central.released[c] ? TwoStepTrimStack.PER_CHUNK : 0;
        }
        int accounted = RaceChecks.distinct(ring, stacked) + releasedBlocks;
        r.r2 = Math.abs(accounted - central.carved() * TwoStepTrimStack.PER_CHUNK);
        int bad = 0;
        for (long offset : ring) {
            if (central.released[TwoStepTrimStack.chunkOf(offset)]
                    || central.memory[TwoStepTrimStack.indexOf(offset)] != ~offset) {
                bad++;
            }
        }
        r.r3 = bad;
        r.r4 = released;
    }
}
