package io.segpool.jcstress;

import io.segpool.allocator.AllocatorConfig;
import io.segpool.allocator.EngineProbe;
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
 * A spill that faults while another thread refills the same class (issue 17 item 2). The
 * allocator has a cached-bytes limit below what one spill brings, and a free large span whose
 * arena cannot close (as while a downcall holds a view of it): every spill crosses the limit and
 * its eviction of that span fails. Actor 1 frees 33 blocks through its own ring (the 33rd spills
 * a batch, and the eviction faults); actor 2 allocates 33 blocks of the same class at the same
 * time (refilling from the central stack the spill feeds). Before the fix the faulting spill left
 * its batch both on the central stack and in the ring, so a block could be held twice.
 *
 * <p>Result: (blocks held twice, accounting errors, calls that threw).
 */
@JCStressTest
@Description("A spill whose cached-bytes eviction faults, racing a refill of the same class")
@Outcome(id = "0, 0, 0", expect = ACCEPTABLE, desc = "every block once; Sys == Inuse + Cached + Central; mallocs, frees exact")
@Outcome(id = "[1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block held twice: the faulting spill left its batch in two places")
@Outcome(id = "0, [1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block lost or counted twice")
@Outcome(id = "0, 0, [1-9][0-9]*", expect = FORBIDDEN, desc = "a free or an allocation threw: the eviction's fault reached the caller")
@State
public class SpillFaultRace {

    private static final int N = 33;
    private static final long SPAN = 3L << 20;

    /** True until the arbiter: the span's arena refuses to close, as while a downcall holds it. */
    private volatile boolean busy = true;
    private final NativeAllocator allocator = EngineProbe.INSTANCE.createWithBusyArenas(
            AllocatorConfig.defaults().withMemoryLimit(64L << 20).withCachedBytesLimit(64 << 10), () -> busy);
    private final long[] toFree = new long[N];
    private final long[] held1 = new long[N];
    private final long[] held2 = new long[N];
    private int faults1;
    private int faults2;

    public SpillFaultRace() {
        // A free large span that can never be evicted while the arenas are busy.
        allocator.freeAddress(allocator.allocateAddress(SPAN), SPAN);
        for (int i = 0; i < N; i++) {
            toFree[i] = allocator.allocateAddress(RaceChecks.SIZE);
        }
    }

    @Actor
    public void actor1() {
        try {
            // The freeing thread keeps one block of its ring's refill, so its ring fills and spills.
            held1[0] = allocator.allocateAddress(RaceChecks.SIZE);
            for (long address : toFree) {
                allocator.freeAddress(address, RaceChecks.SIZE);
            }
            for (int i = 1; i < N; i++) {
                held1[i] = allocator.allocateAddress(RaceChecks.SIZE);
            }
        } catch (RuntimeException e) {
            faults1++;
        }
    }

    @Actor
    public void actor2() {
        try {
            for (int i = 0; i < N; i++) {
                held2[i] = allocator.allocateAddress(RaceChecks.SIZE);
            }
        } catch (RuntimeException e) {
            faults2++;
        }
    }

    @Arbiter
    public void arbiter(III_Result r) {
        try {
            r.r1 = RaceChecks.seenTwice(held1, held2);
            MemStats stats = RaceChecks.stats(allocator);
            r.r2 = RaceChecks.accountingErrors(stats, N + 2L * N + 1, N + 1, 0); // the busy span is in Central
            r.r3 = faults1 + faults2;
        } finally {
            busy = false; // the simulated downcall returns: close gives everything back
            allocator.close();
        }
    }
}
