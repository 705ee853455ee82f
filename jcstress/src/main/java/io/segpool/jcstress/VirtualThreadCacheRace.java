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
 * Virtual threads contending for the striped shared caches. Each actor starts a virtual thread
 * that allocates 40 blocks of one class and frees 20 of them, and joins it. Every operation locks
 * some shared cache ({@code tryLock} from a slot picked by thread id, the next on contention), so
 * the two virtual threads take turns on the same rings and refill and spill through them.
 *
 * <p>Result: (blocks held twice, accounting errors, allocator checks that threw).
 */
@JCStressTest
@Description("allocateAddress/freeAddress from two virtual threads through the shared striped caches")
@Outcome(id = "0, 0, 0", expect = ACCEPTABLE, desc = "every held block once; Sys == Inuse + Cached + Central; counts exact")
@Outcome(id = "[1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block seen twice: held by both virtual threads")
@Outcome(id = "0, [1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block lost or counted twice: MemStats sums or counts are off")
@Outcome(id = "0, 0, [1-9][0-9]*", expect = FORBIDDEN, desc = "the allocator's checks threw, or a virtual thread failed")
@State
public class VirtualThreadCacheRace {

    private static final int ALLOCATED = 40;
    private static final int FREED = 20;

    private final NativeAllocator allocator = RaceChecks.newAllocator();
    private final long[] held1 = new long[ALLOCATED - FREED];
    private final long[] held2 = new long[ALLOCATED - FREED];
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
            try {
                long[] all = new long[ALLOCATED];
                for (int i = 0; i < all.length; i++) {
                    all[i] = allocator.allocateAddress(RaceChecks.SIZE);
                }
                for (int i = 0; i < all.length; i++) {
                    if (i < FREED) {
                        allocator.freeAddress(all[i], RaceChecks.SIZE);
                    } else {
                        held[i - FREED] = all[i];
                    }
                }
            } catch (RuntimeException e) {
                fault[0] = 1;
            }
        });
        try {
            thread.join(); // the virtual thread's writes happen-before the return of join
        } catch (InterruptedException e) {
            return 1;
        }
        return fault[0];
    }

    @Arbiter
    public void arbiter(III_Result r) {
        try {
            r.r1 = RaceChecks.seenTwice(held1, held2);
            MemStats stats = RaceChecks.stats(allocator);
            r.r2 = RaceChecks.accountingErrors(stats, 2 * ALLOCATED, 2 * FREED, 0);
            r.r3 = faults1 + faults2;
        } finally {
            allocator.close();
        }
    }
}
