package io.segpool.jcstress;

import io.segpool.allocator.AllocatorConfig;
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

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * A spill that faults while another thread refills the same class (issue 17, item 2). With a
 * cached-bytes limit, the free that finds a ring full pushes the ring's oldest batch onto the
 * central stack and, past the limit, evicts free large spans; here that eviction is refused (the
 * span's segment is held, as a blocking write into it would: {@link ScopeHold}). Whatever the
 * allocator does with the refusal (throw it, or not), the free must happen wholly or not at all:
 * no block may end up both in the ring and on the central stack, where the other thread's refill
 * takes it.
 *
 * <p>The state (its allocator's cached-bytes limit a 2 MiB span and half a block) allocates a
 * 2 MiB block, holds its segment, frees it into the large-span cache (it fits under the limit),
 * and allocates whole batches of the class (the next of 16 B, 64 B, 80 B and 1024 B), so that the
 * building thread's ring ends empty. Actor 1 frees a ring's capacity and one more of those blocks:
 * the last free spills a batch, which crosses the limit (the class has free uncarved space, and
 * its one chunk has blocks out, so the class trim cannot make room), and the eviction of the held
 * span fails. Then it allocates as many blocks again, emptying its ring. Actor 2 meanwhile
 * allocates a batch and one more block: two refills from the same central stack (for 1024 B,
 * whose chunk has one batch left uncarved, a refill that pops the spilled batch before the spill
 * checks the limit leaves nothing over it: no eviction, no fault, a rare and correct outcome).
 * 256 KiB is left out: its one-block chunks make the class trim free the spilled block's chunk,
 * which makes room, and nothing is evicted.
 *
 * <p>The arbiter lets go of the span, then checks: no block is held by both actors, or held and on
 * the central stack, or (if the faulting free did not take effect, as MemStats' free count says)
 * the block that free kept; and Sys == Inuse + Cached + Central + Released with exact counts. On
 * today's main both fail: the batch is on the central stack and still in the ring (blocks handed
 * out twice), and the evicted span is stranded in Sys (issue 17, item 3).
 *
 * <p>Result: (blocks held twice, accounting errors, frees that threw, block size).
 * {@link SpillFaultBroken} runs the shape on a spill that faults between its two halves.
 */
@JCStressTest
@Description("A free whose spill crosses the cached-bytes limit and fails to evict a held span, racing a refill of the class")
@Outcome(id = "0, 0, 1, [0-9]+", expect = ACCEPTABLE, desc = "the free threw the refused eviction; every block in one place, figures exact")
@Outcome(id = "0, 0, 0, [0-9]+", expect = ACCEPTABLE_INTERESTING, desc = "no free threw: actor 2 took the batch back before the spill checked the limit, or the free kept the refusal to itself")
@Outcome(id = "[1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block held twice: the faulted spill left its batch in the ring and on the stack")
@Outcome(id = "0, [1-9][0-9]*, .*", expect = FORBIDDEN, desc = "Sys != Inuse + Cached + Central + Released, or the counts are off (a stranded span, a batch counted twice)")
@Outcome(expect = FORBIDDEN, desc = "any other result: more than one free threw, or the set-up did not end as planned")
@State
public class SpillFaultRefillRace {

    private static final EngineProbe ENGINE = EngineProbe.INSTANCE;
    private static final long SPAN = 2L << 20;

    private final SizeCase sizes = SizeCase.next(16, 64, 80, 1024);
    private final long size = sizes.size();
    private final NativeAllocator allocator = RaceChecks.newAllocator(
            AllocatorConfig.defaults().withCachedBytesLimit(SPAN + size / 2));
    private final MemorySegment span = allocator.allocate(SPAN);
    /** Whole batches, at least a ring and one more: the building thread's ring ends empty. */
    private final int allocated = (sizes.capacity() / sizes.batch() + 1) * sizes.batch();
    private final long[] toFree1 = new long[sizes.capacity() + 1];
    /** The blocks allocated beyond toFree1: held by the state throughout. */
    private final long[] spare = new long[allocated - toFree1.length];
    private final long[] held1 = new long[toFree1.length];
    private final long[] held2 = new long[sizes.batch() + 1];
    /** Written by actor 1: frees that returned, frees that threw, and the block of the last that threw. */
    private int freed1;
    private int faults1;
    private long faulted;
    private int errors;

    public SpillFaultRefillRace() {
        ScopeHold.acquire(span);
        allocator.free(span);
        for (int i = 0; i < allocated; i++) {
            long address = allocator.allocateAddress(size);
            if (i < toFree1.length) {
                toFree1[i] = address;
            } else {
                spare[i - toFree1.length] = address;
            }
        }
        if (RaceChecks.stats(allocator).cached() != 0) {
            errors++; // a ring was not left empty: the spill would not come where planned
        }
    }

    @Actor
    public void actor1() {
        for (long address : toFree1) {
            try {
                allocator.freeAddress(address, size);
                freed1++;
            } catch (IllegalStateException refusedEviction) {
                faults1++;
                faulted = address;
            }
        }
        for (int i = 0; i < held1.length; i++) {
            held1[i] = allocator.allocateAddress(size);
        }
    }

    @Actor
    public void actor2() {
        for (int i = 0; i < held2.length; i++) {
            held2[i] = allocator.allocateAddress(size);
        }
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        try {
            ScopeHold.release(span); // the blocking call returns: the span can be unmapped now
            MemStats stats = RaceChecks.stats(allocator);
            long base = ENGINE.heapBase(allocator);
            long[] stacked = Arrays.stream(ENGINE.centralBlocks(allocator, sizes.sizeClass())).map(o -> base + o).toArray();
            // The faulted free took effect or not, as the free count says; if not, its block is still out.
            long tookEffect = stats.frees() - 1 - freed1;
            long[] stillOut = faults1 != 0 && tookEffect == 0 ? new long[] {faulted} : new long[0];
            r.r1 = RaceChecks.seenTwice(held1, held2, spare, stacked, stillOut);
            long mallocs = 1 + allocated + held1.length + held2.length;
            int accounting = tookEffect < 0 || tookEffect > faults1 ? 1 : 0;
            accounting += RaceChecks.accountingErrors(stats, size, mallocs, 1 + freed1 + tookEffect, 0);
            r.r2 = accounting + errors;
            r.r3 = faults1;
            r.r4 = (int) size;
        } finally {
            allocator.close();
        }
    }
}
