package io.segpool.jcstress;

import io.segpool.allocator.NativeAllocator;
import io.segpool.allocator.AllocatorConfig;
import io.segpool.allocator.EngineProbe;
import io.segpool.stats.MemStats;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIII_Result;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * {@code trim()} racing a refill of the class it trims. The state carves three chunks of its class
 * (the next of 64 B, 80 B, 1024 B and 256 KiB: for 1024 B, 64 blocks each; for 80 B, 4096 in a
 * 320 KiB chunk; for 256 KiB, one) and puts all their blocks back on the central stack, the last
 * chunk's on top. One actor refills a ring's batch from the central stack (through the test seam,
 * {@link EngineProbe#refill}) and writes a stamp into each block it got, through
 * {@link NativeAllocator#segment(long, long)}; the other calls {@link NativeAllocator#trim()}.
 *
 * <p>Two orders are correct. Refill first: it takes a batch of the third chunk, and the trim
 * releases the two chunks whose blocks are all on the stack (2 chunks). Trim first: it releases all
 * three, and the refill carves a chunk again from the released range (3 chunks). For the
 * one-block chunks of 256 KiB the refill takes the third chunk's only block. A trim that
 * releases a chunk a refill is taking blocks from, or a refill that pops blocks the trim is
 * releasing, shows as a block on the stack or in the ring that is no block of a carved chunk, a
 * view that is refused, or a stamp that the release wiped (the pages read zeros after
 * {@code madvise}).
 *
 * <p>Result: (blocks seen twice, accounting errors, blocks outside a carved chunk or whose stamp
 * was lost, chunks the trim released, block size). {@link TrimRefillBroken} runs the shape on a
 * trim that picks its chunks under the lock and takes them off the stack under another.
 */
@JCStressTest
@Description("NativeAllocator.trim racing a CentralStack refill of the class it trims")
@Outcome(id = "0, 0, 0, 2, [0-9]+", expect = ACCEPTABLE, desc = "refill first: its batch keeps the third chunk; the two others are released")
@Outcome(id = "0, 0, 0, 3, [0-9]+", expect = ACCEPTABLE, desc = "trim first: all three chunks released; the refill carves a released range again")
@Outcome(id = "[1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block seen twice: in the refilled batch and on the stack")
@Outcome(id = "0, [1-9][0-9]*, .*", expect = FORBIDDEN, desc = "Sys != Inuse + Cached + Central + Released + the batch, or a trim of part of a chunk")
@Outcome(id = "0, 0, [1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block handed out (or left on the stack) in a released chunk, or its stamp wiped by the release")
@Outcome(expect = FORBIDDEN, desc = "the trim released a chunk that had a block out, or kept one whose blocks were all free")
@State
public class TrimRefillRace {

    private static final EngineProbe ENGINE = EngineProbe.INSTANCE;
    private static final int CHUNKS = 3;
    private static final ValueLayout.OfLong STAMP = ValueLayout.JAVA_LONG_UNALIGNED;

    /**
     * Not 16 B: the trim sees chunks and stack entries, not block states, and 80 B already gives
     * it 4096-block chunks (12,288 blocks to carve and sort per state).
     */
    private final SizeCase sizes = SizeCase.next(64, 80, 1024, 256 << 10);
    private final long size = sizes.size();
    private final int sizeClass = sizes.sizeClass();
    private final int batch = sizes.batch();
    private final long chunkBytes = sizes.chunkBytes();
    /**
     * Free checks off: the refill takes blocks straight from the central stack, so no block state
     * marks them handed out, and a checked allocator refuses a view of a block it holds free.
     */
    private final NativeAllocator allocator = RaceChecks.newAllocator(AllocatorConfig.defaults().withCheckFrees(false));
    private final long base = ENGINE.heapBase(allocator);
    private final long[] ring = new long[batch];
    /** Written by the refilling actor: blocks whose view was refused; read by the arbiter after both. */
    private int refused;
    /** Written by the trimming actor: the bytes trim() released. */
    private long trimmed;

    public TrimRefillRace() {
        // Every class's chunk holds a whole number of batches (SizeClasses.blocksPerChunk).
        long[] carved = new long[CHUNKS * sizes.blocksPerChunk()];
        for (int start = 0; start < carved.length; start += batch) {
            ENGINE.refill(allocator, sizeClass, carved, start, batch);
        }
        for (int start = 0; start < carved.length; start += batch) {
            ENGINE.spill(allocator, sizeClass, carved, start, batch);
        }
    }

    @Actor
    public void refill() {
        ENGINE.refill(allocator, sizeClass, ring, 0, batch);
        for (long offset : ring) {
            try {
                MemorySegment block = allocator.segment(base + offset, size);
                block.set(STAMP, 0, offset);
                block.set(STAMP, size - 8, ~offset);
            } catch (IllegalArgumentException notInABlock) {
                refused++;
            }
        }
    }

    @Actor
    public void trim() {
        trimmed = allocator.trim();
    }

    @Arbiter
    public void arbiter(IIIII_Result r) {
        try {
            long[] stacked = ENGINE.centralBlocks(allocator, sizeClass);
            r.r1 = RaceChecks.seenTwice(ring, stacked);
            MemStats stats = RaceChecks.stats(allocator);
            int errors = RaceChecks.accountingErrors(stats, size, 0, 0, batch * size);
            if (trimmed % chunkBytes != 0) {
                errors++;
            }
            r.r2 = errors;
            int bad = refused;
            for (long offset : ring) {
                if (!ENGINE.isBlockStart(allocator, sizeClass, offset) || !stampKept(offset)) {
                    bad++;
                }
            }
            for (long offset : stacked) {
                if (!ENGINE.isBlockStart(allocator, sizeClass, offset)) {
                    bad++;
                }
            }
            r.r3 = bad;
            r.r4 = (int) (trimmed / chunkBytes);
            r.r5 = (int) size;
        } finally {
            allocator.close();
        }
    }

    private boolean stampKept(long offset) {
        try {
            MemorySegment block = allocator.segment(base + offset, size);
            return block.get(STAMP, 0) == offset && block.get(STAMP, size - 8) == ~offset;
        } catch (IllegalArgumentException notInABlock) {
            return false;
        }
    }
}
