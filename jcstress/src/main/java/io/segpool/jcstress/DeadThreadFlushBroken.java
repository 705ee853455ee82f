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

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * The shape of {@link DeadThreadFlushRace} on a reclaim that checks "not flushed yet" and flushes
 * without making the two one step: the bug where the trim and a refill both see the dead cache
 * and both flush it. This test is MEANT to fail: {@code jcstress/run.sh broken} passes only if it
 * sees a FORBIDDEN outcome, proving that the shape sees a dead ring flushed twice.
 *
 * <p>The dead thread's ring is a {@link ModelRing} the state fills as the real shape's ended thread
 * leaves its own (28 blocks of 1024 B, with 20 more it kept), over the real central stack. Actor 1
 * reclaims it, as {@code trim()} does; actor 2 takes a batch and one more block through a fresh
 * ring of its own, whose two refills each reclaim first, as {@code RingCache.refill} does. The
 * flag is read and written with opaque accesses, so the JIT cannot fold the check away, but the
 * check and the flush are two steps: both actors may pass the check.
 *
 * <p>Result: (blocks seen twice, accounting errors, reclaims that passed the check). Only the
 * shape's own checks, the first two, make an outcome FORBIDDEN; the third shows the race hit.
 */
@JCStressTest
@Description("DeadThreadFlushRace's shape on a check-then-flush reclaim: must show FORBIDDEN outcomes")
@Outcome(id = "0, 0, 1", expect = ACCEPTABLE, desc = "flushed once (the race did not hit this time)")
@Outcome(id = "0, 0, 2", expect = ACCEPTABLE_INTERESTING, desc = "both passed the check, but the second flush found the ring emptied")
@Outcome(id = "[1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block seen twice: kept and handed out, or handed out and still stacked")
@Outcome(id = "0, [1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block counted twice: Sys != Central + the blocks held")
@Outcome(expect = FORBIDDEN, desc = "any other result")
@State
public class DeadThreadFlushBroken {

    private static final VarHandle FLUSHED;

    static {
        try {
            FLUSHED = MethodHandles.lookup().findVarHandle(DeadThreadFlushBroken.class, "flushed", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final SizeCase sizes = SizeCase.DEFAULT;
    private final NativeAllocator allocator = RaceChecks.newAllocator();
    /** The ended thread's ring, as the real shape's thread leaves it: 28 free blocks. */
    private final ModelRing dead = new ModelRing(allocator, sizes);
    /** The 20 blocks the ended thread allocated and kept. */
    private final long[] kept;
    private final ModelRing ring2 = new ModelRing(allocator, sizes);
    private final long[] held2 = new long[sizes.batch() + 1];
    /** 0 until a reclaim flushed the dead ring; read and written opaque, never compare-and-set. */
    @SuppressWarnings("unused")
    private int flushed;
    /** Reclaims that passed the check, per actor; plain, read by the arbiter after both. */
    private int flushes1;
    private int flushes2;

    public DeadThreadFlushBroken() {
        long[] all = ModelRing.centralBlocks(allocator, sizes, 48);
        kept = java.util.Arrays.copyOf(all, 20);
        for (int i = 20; i < all.length; i++) {
            dead.slots[dead.count++] = all[i];
        }
    }

    /** The broken reclaim: check, flush, then mark, in three steps. Returns 1 if it passed the check. */
    private int reclaim() {
        if ((int) FLUSHED.getOpaque(this) == 0) {
            dead.flush();
            FLUSHED.setOpaque(this, 1);
            return 1;
        }
        return 0;
    }

    @Actor
    public void actor1() {
        flushes1 = reclaim();
    }

    @Actor
    public void actor2() {
        int flushes = 0;
        for (int i = 0; i < held2.length; i++) {
            if (ring2.count == 0) {
                flushes += reclaim();
            }
            held2[i] = ring2.take();
        }
        flushes2 = flushes;
    }

    @Arbiter
    public void arbiter(III_Result r) {
        try {
            long[] inRing = ring2.held();
            long[] stacked = ModelRing.stacked(allocator, sizes);
            r.r1 = RaceChecks.seenTwice(kept, held2, inRing, stacked);
            MemStats stats = RaceChecks.stats(allocator);
            long heldBytes = RaceChecks.distinct(kept, held2, inRing) * sizes.size();
            r.r2 = RaceChecks.accountingErrors(stats, sizes.size(), 0, 0, heldBytes);
            r.r3 = flushes1 + flushes2;
        } finally {
            allocator.close();
        }
    }
}
