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
 * The flush of a dead thread's cache racing a live thread on the same class. The code flushes a
 * ring only once its owner's {@code isAlive()} is false, so the owner's last operation always
 * happens-before the flush (JLS 17.4.4) and cannot race it; what can race is the flush against
 * other threads. So the state starts a platform thread that allocates 40 blocks, frees 20 (its
 * ring keeps 28) and ends; then actor 1 runs {@code trim()}, which reclaims the dead cache (a push
 * of 28 onto the central stack) and trims every class, while actor 2 allocates 17 blocks, whose two
 * refills each first check for caches to reclaim and may do the reclaim themselves. Exactly one of
 * them must flush the dead ring, once.
 *
 * <p>Result: (blocks held twice, accounting errors, allocator checks that threw).
 */
@JCStressTest
@Description("Reclaim of an ended thread's cache (trim) racing another thread's refills on the same class")
@Outcome(id = "0, 0, 0", expect = ACCEPTABLE, desc = "dead ring flushed once; every held block once; counts exact")
@Outcome(id = "[1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block seen twice: held by the dead thread's keeper and actor 2")
@Outcome(id = "0, [1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block lost or flushed twice: MemStats sums or counts are off")
@Outcome(id = "0, 0, [1-9][0-9]*", expect = FORBIDDEN, desc = "the allocator's checks threw (trim, or a block handed out while marked in use)")
@State
public class DeadThreadFlushRace {

    private static final int DEAD_ALLOCATED = 40;
    private static final int DEAD_FREED = 20;
    private static final int TAKEN = 17;

    private final NativeAllocator allocator = RaceChecks.newAllocator();
    /** The blocks the ended thread allocated and did not free. */
    private final long[] kept = new long[DEAD_ALLOCATED - DEAD_FREED];
    private final long[] held2 = new long[TAKEN];
    private int faults1;
    private int faults2;

    public DeadThreadFlushRace() {
        Thread owner = Thread.ofPlatform().start(() -> {
            long[] all = new long[DEAD_ALLOCATED];
            for (int i = 0; i < all.length; i++) {
                all[i] = allocator.allocateAddress(RaceChecks.SIZE);
            }
            for (int i = 0; i < all.length; i++) {
                if (i % 2 == 0) {
                    allocator.freeAddress(all[i], RaceChecks.SIZE);
                } else {
                    kept[i / 2] = all[i];
                }
            }
        });
        try {
            owner.join();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Actor
    public void actor1() {
        try {
            allocator.trim();
        } catch (IllegalStateException e) {
            faults1 = 1;
        }
    }

    @Actor
    public void actor2() {
        try {
            for (int i = 0; i < held2.length; i++) {
                held2[i] = allocator.allocateAddress(RaceChecks.SIZE);
            }
        } catch (IllegalStateException e) {
            faults2 = 1;
        } finally {
        }
    }

    @Arbiter
    public void arbiter(III_Result r) {
        try {
            r.r1 = RaceChecks.seenTwice(kept, held2);
            MemStats stats = RaceChecks.stats(allocator);
            r.r2 = RaceChecks.accountingErrors(stats, DEAD_ALLOCATED + TAKEN, DEAD_FREED, 0);
            // A second flush of the dead ring would count its 40 mallocs twice and push its 28
            // blocks twice (Central too large): both show in r2. The number of live caches is no
            // check, as it depends on which harness threads jcstress keeps alive.
            r.r3 = faults1 + faults2;
        } finally {
            allocator.close();
        }
    }
}
