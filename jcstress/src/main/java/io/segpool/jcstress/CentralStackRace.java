package io.segpool.jcstress;

import io.segpool.allocator.NativeAllocator;
import io.segpool.allocator.EngineProbe;
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
 * The central stack's push and pop racing: each actor holds one batch in a 32-slot ring, spills it
 * (a push of 16) and refills the other half of its ring (a pop of 16, carving when the stack runs
 * short), so the two threads' pushes and pops interleave on one class's stack. Afterwards every
 * block is either in an actor's refilled half or on the stack, exactly once. The stack is driven
 * through the allocator's test seam, {@link EngineProbe}.
 *
 * <p>Result: (blocks seen twice, accounting errors, torn slots). A torn slot is a refilled slot
 * that holds no block start of this class (a batch half written).
 * {@link UnsynchronizedStackBroken} runs the same shape on a stack without the monitor.
 */
@JCStressTest
@Description("CentralStack.spill and refill from two threads on one class")
@Outcome(id = "0, 0, 0", expect = ACCEPTABLE, desc = "every block once; Sys == Central + held; 4 refills, 2 spills")
@Outcome(id = "[1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block seen twice: in both actors' batches, or held and on the stack")
@Outcome(id = "0, [1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block lost or counted twice: Sys or the refill/spill counts are off")
@Outcome(id = "0, 0, [1-9][0-9]*", expect = FORBIDDEN, desc = "a torn batch: a refilled slot holds no block")
@State
public class CentralStackRace {

    private static final EngineProbe ENGINE = EngineProbe.INSTANCE;

    private final NativeAllocator allocator = RaceChecks.newAllocator();
    private final int sizeClass = ENGINE.sizeClassOf(RaceChecks.SIZE);
    private final long[] ring1 = new long[NativeAllocator.RING_CAPACITY];
    private final long[] ring2 = new long[NativeAllocator.RING_CAPACITY];

    public CentralStackRace() {
        ENGINE.refill(allocator, sizeClass, ring1, 0, NativeAllocator.BATCH);
        ENGINE.refill(allocator, sizeClass, ring2, 0, NativeAllocator.BATCH);
    }

    @Actor
    public void actor1() {
        ENGINE.spill(allocator, sizeClass, ring1, 0, NativeAllocator.BATCH);
        ENGINE.refill(allocator, sizeClass, ring1, NativeAllocator.BATCH, NativeAllocator.BATCH);
    }

    @Actor
    public void actor2() {
        ENGINE.spill(allocator, sizeClass, ring2, 0, NativeAllocator.BATCH);
        ENGINE.refill(allocator, sizeClass, ring2, NativeAllocator.BATCH, NativeAllocator.BATCH);
    }

    @Arbiter
    public void arbiter(III_Result r) {
        try {
            long[] held1 = secondHalf(ring1);
            long[] held2 = secondHalf(ring2);
            long[] stacked = ENGINE.centralBlocks(allocator, sizeClass);
            r.r1 = RaceChecks.seenTwice(held1, held2, stacked);
            MemStats stats = RaceChecks.stats(allocator);
            int errors = RaceChecks.accountingErrors(stats, 0, 0, 2L * NativeAllocator.BATCH * RaceChecks.SIZE);
            if (stats.classRefills(sizeClass) != 4 || stats.classSpills(sizeClass) != 2) {
                errors++;
            }
            r.r2 = errors;
            r.r3 = torn(held1) + torn(held2);
        } finally {
            allocator.close();
        }
    }

    private static long[] secondHalf(long[] ring) {
        return java.util.Arrays.copyOfRange(ring, NativeAllocator.BATCH, ring.length);
    }

    private int torn(long[] held) {
        int torn = 0;
        for (long offset : held) {
            if (!ENGINE.isBlockStart(allocator, sizeClass, offset)) {
                torn++;
            }
        }
        return torn;
    }
}
