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
 * Virtual threads contending for the striped shared caches. Each actor starts a virtual thread
 * that allocates two and a half batches of one class and frees half of them, and joins it. Every
 * operation takes some shared cache (a compare-and-set flag from a stripe picked by thread id, the
 * next on contention), so the two virtual threads take turns on the same rings and refill and
 * spill through them. Each state takes the next of the {@link SizeCase} sizes (for 1024 B: 40
 * allocated, 20 freed; for 256 KiB: 2 and 1).
 *
 * <p>Result: (blocks held twice, accounting errors, allocator checks that threw, block size).
 * {@link VirtualThreadCacheBroken} runs the shape on stripes taken with a check-then-set.
 */
@JCStressTest
@Description("allocateAddress/freeAddress from two virtual threads through the shared striped caches")
@Outcome(id = "0, 0, 0, [0-9]+", expect = ACCEPTABLE, desc = "every held block once; Sys == Inuse + Cached + Central; counts exact")
@Outcome(id = "[1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block seen twice: held by both virtual threads")
@Outcome(id = "0, [1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block lost or counted twice: MemStats sums or counts are off")
@Outcome(id = "0, 0, [1-9][0-9]*, .*", expect = FORBIDDEN, desc = "the allocator's checks threw, or a virtual thread failed or hung")
@Outcome(expect = FORBIDDEN, desc = "any other result")
@State
public class VirtualThreadCacheRace {

    private final SizeCase sizes = SizeCase.next();
    private final long size = sizes.size();
    private final int allocated = Math.max(2, 5 * sizes.batch() / 2 & ~1);
    private final int freed = allocated / 2;
    private final NativeAllocator allocator = RaceChecks.newAllocator();
    private final long[] held1 = new long[allocated - freed];
    private final long[] held2 = new long[allocated - freed];
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
                long[] all = new long[allocated];
                for (int i = 0; i < all.length; i++) {
                    all[i] = allocator.allocateAddress(size);
                }
                for (int i = 0; i < all.length; i++) {
                    if (i < freed) {
                        allocator.freeAddress(all[i], size);
                    } else {
                        held[i - freed] = all[i];
                    }
                }
            } catch (RuntimeException e) {
                fault[0] = 1;
            }
        });
        // A stripe that is never given back would park the thread for good: fail the sample
        // instead of hanging the run.
        return RaceChecks.joined(thread) ? fault[0] : 1;
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        try {
            r.r1 = RaceChecks.seenTwice(held1, held2);
            MemStats stats = RaceChecks.stats(allocator);
            r.r2 = RaceChecks.accountingErrors(stats, size, 2L * allocated, 2L * freed, 0);
            r.r3 = faults1 + faults2;
            r.r4 = (int) size;
        } finally {
            allocator.close();
        }
    }
}
