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
 * The flush of a dead thread's cache racing a live thread on the same class. The code flushes a
 * ring only once its owner's {@code isAlive()} is false, so the owner's last operation always
 * happens-before the flush (JLS 17.4.4) and cannot race it; what can race is the flush against
 * other threads. So the state starts a platform thread that allocates two and a half batches,
 * frees every other block (its ring keeps some) and ends; then actor 1 runs {@code trim()}, which
 * reclaims the dead cache (a push of its ring onto the central stack) and trims every class, while
 * actor 2 allocates a batch and one more block, whose two refills each first check for caches to
 * reclaim and may do the reclaim themselves. Exactly one of them must flush the dead ring, once.
 * Each state takes the next of the {@link SizeCase} sizes (for 1024 B: 40 allocated, 20 freed, a
 * ring of 28, 17 taken; for 256 KiB: 2, 1, 1 and 2).
 *
 * <p>Result: (blocks held twice, accounting errors, allocator checks that threw, block size).
 * {@link DeadThreadFlushBroken} runs the shape on a reclaim that can flush a ring twice.
 */
@JCStressTest
@Description("Reclaim of an ended thread's cache (trim) racing another thread's refills on the same class")
@Outcome(id = "0, 0, 0, [0-9]+", expect = ACCEPTABLE, desc = "dead ring flushed once; every held block once; counts exact")
@Outcome(id = "[1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block seen twice: held by the dead thread's keeper and actor 2")
@Outcome(id = "0, [1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block lost or flushed twice: MemStats sums or counts are off")
@Outcome(id = "0, 0, [1-9][0-9]*, .*", expect = FORBIDDEN, desc = "the allocator's checks threw (trim, or a block handed out while marked in use)")
@Outcome(expect = FORBIDDEN, desc = "any other result")
@State
public class DeadThreadFlushRace {

    private final SizeCase sizes = SizeCase.next();
    private final long size = sizes.size();
    /** Two and a half batches, an even count: the dead ring ends partly full whatever the batch. */
    private final int deadAllocated = Math.max(2, 5 * sizes.batch() / 2 & ~1);
    private final int deadFreed = deadAllocated / 2;
    private final NativeAllocator allocator = RaceChecks.newAllocator();
    /** The blocks the ended thread allocated and did not free. */
    private final long[] kept = new long[deadAllocated - deadFreed];
    /** A batch and one more: two refills. */
    private final long[] held2 = new long[sizes.batch() + 1];
    private int faults1;
    private int faults2;

    public DeadThreadFlushRace() {
        Thread owner = Thread.ofPlatform().start(() -> {
            long[] all = new long[deadAllocated];
            for (int i = 0; i < all.length; i++) {
                all[i] = allocator.allocateAddress(size);
            }
            for (int i = 0; i < all.length; i++) {
                if (i % 2 == 0) {
                    allocator.freeAddress(all[i], size);
                } else {
                    kept[i / 2] = all[i];
                }
            }
        });
        try {
            owner.join(); // the thread's writes to kept happen-before the return of join
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
                held2[i] = allocator.allocateAddress(size);
            }
        } catch (IllegalStateException e) {
            faults2 = 1;
        }
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        try {
            r.r1 = RaceChecks.seenTwice(kept, held2);
            MemStats stats = RaceChecks.stats(allocator);
            r.r2 = RaceChecks.accountingErrors(stats, size, deadAllocated + held2.length, deadFreed, 0);
            // A second flush of the dead ring would count its mallocs twice and push its blocks
            // twice (Central too large): both show in r2. The number of live caches is no check,
            // as it depends on which harness threads jcstress keeps alive.
            r.r3 = faults1 + faults2;
            r.r4 = (int) size;
        } finally {
            allocator.close();
        }
    }
}
