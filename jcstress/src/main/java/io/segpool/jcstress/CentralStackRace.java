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
import org.openjdk.jcstress.infra.results.IIII_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * The central stack's push and pop racing: each actor holds one batch in a ring of two batches,
 * spills it (a push) and refills the other half of its ring (a pop, carving when the stack runs
 * short), so the two threads' pushes and pops interleave on one class's stack. Afterwards every
 * block is either in an actor's refilled half or on the stack, exactly once. The stack is driven
 * through the allocator's test seam, {@link EngineProbe}. Each state takes the next of the
 * {@link SizeCase} sizes: for the 256 KiB class a batch is one block and every carve maps a chunk.
 *
 * <p>Result: (blocks seen twice, accounting errors, torn slots, block size). A torn slot is a
 * refilled slot that holds no block start of this class (a batch half written).
 * {@link UnsynchronizedStackBroken} runs the same shape on a stack without the monitor.
 */
@JCStressTest
@Description("CentralStack.spill and refill from two threads on one class, for 16 B to 256 KiB classes")
@Outcome(id = "0, 0, 0, [0-9]+", expect = ACCEPTABLE, desc = "every block once; Sys == Central + held; 4 refills, 2 spills")
@Outcome(id = "[1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block seen twice: in both actors' batches, or held and on the stack")
@Outcome(id = "0, [1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block lost or counted twice: Sys or the refill/spill counts are off")
@Outcome(id = "0, 0, [1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a torn batch: a refilled slot holds no block")
@Outcome(expect = FORBIDDEN, desc = "any other result")
@State
public class CentralStackRace {

    private static final EngineProbe ENGINE = EngineProbe.INSTANCE;

    private final SizeCase sizes = SizeCase.next();
    private final int batch = sizes.batch();
    private final NativeAllocator allocator = RaceChecks.newAllocator();
    private final long[] ring1 = new long[2 * batch];
    private final long[] ring2 = new long[2 * batch];

    public CentralStackRace() {
        ENGINE.refill(allocator, sizes.sizeClass(), ring1, 0, batch);
        ENGINE.refill(allocator, sizes.sizeClass(), ring2, 0, batch);
    }

    @Actor
    public void actor1() {
        ENGINE.spill(allocator, sizes.sizeClass(), ring1, 0, batch);
        ENGINE.refill(allocator, sizes.sizeClass(), ring1, batch, batch);
    }

    @Actor
    public void actor2() {
        ENGINE.spill(allocator, sizes.sizeClass(), ring2, 0, batch);
        ENGINE.refill(allocator, sizes.sizeClass(), ring2, batch, batch);
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        try {
            int sizeClass = sizes.sizeClass();
            long[] held1 = secondHalf(ring1);
            long[] held2 = secondHalf(ring2);
            long[] stacked = ENGINE.centralBlocks(allocator, sizeClass);
            r.r1 = RaceChecks.seenTwice(held1, held2, stacked);
            MemStats stats = RaceChecks.stats(allocator);
            int errors = RaceChecks.accountingErrors(stats, sizes.size(), 0, 0, 2L * batch * sizes.size());
            if (stats.classRefills(sizeClass) != 4 || stats.classSpills(sizeClass) != 2) {
                errors++;
            }
            r.r2 = errors;
            r.r3 = torn(held1) + torn(held2);
            r.r4 = (int) sizes.size();
        } finally {
            allocator.close();
        }
    }

    private long[] secondHalf(long[] ring) {
        return java.util.Arrays.copyOfRange(ring, batch, ring.length);
    }

    private int torn(long[] held) {
        int torn = 0;
        for (long offset : held) {
            if (!ENGINE.isBlockStart(allocator, sizes.sizeClass(), offset)) {
                torn++;
            }
        }
        return torn;
    }
}
