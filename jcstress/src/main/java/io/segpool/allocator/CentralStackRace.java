package io.segpool.allocator;

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
 * block is either in an actor's refilled half or on the stack, exactly once.
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

    private final NativeAllocator allocator = RaceChecks.newAllocator();
    private final int sizeClass = SizeClasses.classOf(RaceChecks.SIZE);
    private final CentralStack central = allocator.central(sizeClass);
    private final long[] ring1 = new long[RingCache.CAPACITY];
    private final long[] ring2 = new long[RingCache.CAPACITY];

    public CentralStackRace() {
        central.refill(ring1, 0, CentralStack.BATCH);
        central.refill(ring2, 0, CentralStack.BATCH);
    }

    @Actor
    public void actor1() {
        central.spill(ring1, 0, CentralStack.BATCH);
        central.refill(ring1, CentralStack.BATCH, CentralStack.BATCH);
    }

    @Actor
    public void actor2() {
        central.spill(ring2, 0, CentralStack.BATCH);
        central.refill(ring2, CentralStack.BATCH, CentralStack.BATCH);
    }

    @Arbiter
    public void arbiter(III_Result r) {
        try {
            long[] held1 = secondHalf(ring1);
            long[] held2 = secondHalf(ring2);
            long[] stacked;
            synchronized (central) {
                stacked = java.util.Arrays.copyOf(central.blocks, central.count);
            }
            r.r1 = RaceChecks.seenTwice(held1, held2, stacked);
            MemStats stats = RaceChecks.stats(allocator);
            int errors = RaceChecks.accountingErrors(stats, 0, 0, 2L * CentralStack.BATCH * RaceChecks.SIZE);
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
        return java.util.Arrays.copyOfRange(ring, CentralStack.BATCH, ring.length);
    }

    private int torn(long[] held) {
        int torn = 0;
        Heap heap = allocator.heap;
        for (long offset : held) {
            if (heap.classAt(offset) != sizeClass || (offset - heap.chunkStart(offset)) % RaceChecks.SIZE != 0) {
                torn++;
            }
        }
        return torn;
    }
}
