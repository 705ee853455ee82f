package io.segpool.jcstress;

import io.segpool.allocator.NativeAllocator;
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
 * A refill racing a spill on one class, through the public API only. Each actor, on a fresh ring:
 * allocates one block (a refill), frees as many of the blocks the state allocated as the ring has
 * slots, and one more (a free finds the ring full, grown into its slots if it is a large ring, and
 * spills a batch), then allocates that many and one more
 * (the ring runs dry and refills). The two threads' refills and spills meet on the class's central
 * stack; the blocks an actor ends up holding may have been freed by the other, but no block is
 * held by both. Each state takes the next of the {@link SizeCase} sizes (for 1024 B: 33 freed, 34
 * kept; for the one-block ring of 256 KiB, which grows into four slots: 5 and 6).
 *
 * <p>jcstress builds a state on one of the actor threads, so the state's allocations would leave
 * blocks in that actor's ring; the constructor flushes that ring, so both actors start fresh.
 *
 * <p>Result: (blocks held twice, accounting errors, allocator checks that threw, block size).
 * {@link RefillSpillBroken} runs the shape with both actors on one ring.
 */
@JCStressTest
@Description("NativeAllocator.allocateAddress/freeAddress refill and spill of one class from two threads")
@Outcome(id = "0, 0, 0, [0-9]+", expect = ACCEPTABLE, desc = "every held block once; Sys == Inuse + Cached + Central; mallocs, frees exact")
@Outcome(id = "[1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block seen twice: held by both actors at the end")
@Outcome(id = "0, [1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block lost or counted twice: MemStats sums or counts are off")
@Outcome(id = "0, 0, [1-9][0-9]*, .*", expect = FORBIDDEN, desc = "the allocator's own checks threw (a block handed out while marked in use)")
@Outcome(expect = FORBIDDEN, desc = "any other result")
@State
public class RefillSpillRace {

    private final SizeCase sizes = SizeCase.next();
    private final long size = sizes.size();
    private final int freed = sizes.slots() + 1;
    private final int kept = 1 + freed;
    private final NativeAllocator allocator = RaceChecks.newAllocator();
    private final long[] toFree1 = new long[freed];
    private final long[] toFree2 = new long[freed];
    private final long[] held1 = new long[kept];
    private final long[] held2 = new long[kept];
    /** Set by each actor on a refused operation; plain, read by the arbiter after both. */
    private int faults1;
    private int faults2;

    public RefillSpillRace() {
        for (int i = 0; i < freed; i++) {
            toFree1[i] = allocator.allocateAddress(size);
            toFree2[i] = allocator.allocateAddress(size);
        }
        allocator.threadCache().flush();
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
            held[0] = allocator.allocateAddress(size);
            for (long address : toFree) {
                allocator.freeAddress(address, size);
            }
            for (int i = 1; i < held.length; i++) {
                held[i] = allocator.allocateAddress(size);
            }
            return 0;
        } catch (IllegalStateException e) {
            return 1;
        }
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        try {
            r.r1 = RaceChecks.seenTwice(held1, held2);
            MemStats stats = RaceChecks.stats(allocator);
            r.r2 = RaceChecks.accountingErrors(stats, size, 2L * freed + 2L * kept, 2L * freed, 0);
            r.r3 = faults1 + faults2;
            r.r4 = (int) size;
        } finally {
            allocator.close();
        }
    }
}
