package io.segpool.jcstress;

import io.segpool.allocator.NativeAllocator;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

import java.util.Arrays;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * The shape of {@link CentralStackRace} on {@link RacyStack}, a central stack without its lock.
 * This test is MEANT to fail: it proves the shape sees a racy push/pop. It is kept out of the
 * pass criterion ({@code jcstress/run.sh broken} runs it and passes only if a FORBIDDEN outcome
 * was seen); the real tests end in {@code Race}, this one in {@code Broken}.
 *
 * <p>Result: (blocks seen twice, blocks lost or made twice, torn slots).
 */
@JCStressTest
@Description("CentralStackRace's shape on a stack without the monitor: must show FORBIDDEN outcomes")
@Outcome(id = "0, 0, 0", expect = ACCEPTABLE, desc = "every block once (the race did not hit this time)")
@Outcome(id = "[1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block seen twice: in both actors' batches, or held and on the stack")
@Outcome(id = "0, [1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block lost: fewer blocks held and stacked than carved")
@Outcome(id = "0, 0, [1-9][0-9]*", expect = FORBIDDEN, desc = "a torn batch: a refilled slot holds no block")
@State
public class UnsynchronizedStackBroken {

    private final RacyStack central = new RacyStack();
    private final long[] ring1 = new long[NativeAllocator.MAX_RING_CAPACITY];
    private final long[] ring2 = new long[NativeAllocator.MAX_RING_CAPACITY];
    /** Each actor counts its own faults; plain, read by the arbiter after both. */
    private int faults1;
    private int faults2;

    public UnsynchronizedStackBroken() {
        central.refill(ring1, 0);
        central.refill(ring2, 0);
    }

    @Actor
    public void actor1() {
        try {
            central.spill(ring1, 0);
            central.refill(ring1, NativeAllocator.MAX_BATCH);
        } catch (ArrayIndexOutOfBoundsException e) {
            faults1++; // the racy count ran off the array: as torn as a batch gets
        }
    }

    @Actor
    public void actor2() {
        try {
            central.spill(ring2, 0);
            central.refill(ring2, NativeAllocator.MAX_BATCH);
        } catch (ArrayIndexOutOfBoundsException e) {
            faults2++;
        }
    }

    @Arbiter
    public void arbiter(III_Result r) {
        long[] held1 = Arrays.copyOfRange(ring1, NativeAllocator.MAX_BATCH, ring1.length);
        long[] held2 = Arrays.copyOfRange(ring2, NativeAllocator.MAX_BATCH, ring2.length);
        long[] stacked = central.stacked();
        r.r1 = RaceChecks.seenTwice(held1, held2, stacked);
        long distinct = Arrays.stream(concat(held1, held2, stacked)).filter(a -> a != 0).distinct().count();
        r.r2 = (int) Math.max(0, central.carved - distinct);
        r.r3 = faults1 + faults2 + torn(held1) + torn(held2);
    }

    private static long[] concat(long[]... parts) {
        return Arrays.stream(parts).flatMapToLong(Arrays::stream).toArray();
    }

    private int torn(long[] held) {
        int torn = 0;
        for (long address : held) {
            if (address < RacyStack.BASE || (address - RacyStack.BASE) % RacyStack.STEP != 0) {
                torn++;
            }
        }
        return torn;
    }
}
