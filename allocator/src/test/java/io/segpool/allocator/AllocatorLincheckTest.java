package io.segpool.allocator;

import io.segpool.stats.MemStats;
import org.jetbrains.lincheck.datastructures.ManagedStrategyGuaranteeKt;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.ThreadIdGen;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

/**
 * Lincheck model checking of the ring + central stack paths of {@link NativeAllocator}: threads
 * allocate bursts of 64-byte blocks by address (each burst refills), free bursts of the blocks
 * they hold (each burst spills), and trim. Addresses differ between
 * the sequential run and the interleaved ones, so each operation returns only the number of blocks
 * its thread holds; the real checks are in {@link #validate()}: no address is held twice, and every
 * byte mapped is in use, in a ring, central or released, with in-use bytes equal to the blocks held.
 */
@Param(name = "tid", gen = ThreadIdGen.class)
public class AllocatorLincheckTest {

    private static final long SIZE = 64;
    private static final int MAX_THREADS = 4;
    /** Blocks per operation: 33 crosses refills of 16, and freeing 33 overflows a ring of 32: a spill. */
    private static final int BURST = 33;
    private static final int MAX_HELD = 8 * BURST;

    private final NativeAllocator allocator = NativeAllocator.create();
    private final long[][] held = new long[MAX_THREADS][MAX_HELD];
    private final int[] count = new int[MAX_THREADS];

    @Operation
    public int allocate(@Param(name = "tid") int tid) {
        for (int i = 0; i < BURST; i++) {
            held[tid][count[tid]++] = allocator.allocateAddress(SIZE);
        }
        return count[tid];
    }

    @Operation
    public int free(@Param(name = "tid") int tid) {
        for (int i = 0; i < BURST && count[tid] > 0; i++) {
            allocator.freeAddress(held[tid][--count[tid]], SIZE);
        }
        return count[tid];
    }

    @Operation
    public void trim() {
        allocator.trim();
    }

    @Validate
    public void validate() {
        Set<Long> seen = new HashSet<>();
        long blocks = 0;
        for (int t = 0; t < MAX_THREADS; t++) {
            for (int i = 0; i < count[t]; i++) {
                if (!seen.add(held[t][i])) {
                    throw new AssertionError("address 0x" + Long.toHexString(held[t][i]) + " held twice");
                }
                blocks++;
            }
        }
        MemStats stats = new MemStats();
        allocator.readMemStats(stats);
        if (stats.sys() != stats.inuse() + stats.cached() + stats.central() + stats.released()) {
            throw new AssertionError("Sys != Inuse + Cached + Central + Released\n" + stats);
        }
        long classSize = SizeClasses.size(SizeClasses.classOf(SIZE));
        if (stats.inuse() != classSize * blocks) {
            throw new AssertionError("Inuse " + stats.inuse() + " != " + classSize + " x " + blocks + " blocks held\n" + stats);
        }
    }

    @Test
    void modelChecking() {
        new ModelCheckingOptions()
                .threads(2)
                .actorsPerThread(3)
                .actorsBefore(2)
                .actorsAfter(1)
                .iterations(10)
                .invocationsPerIteration(300)
                // trim() walks all 112 central stacks: a long loop, not a livelock.
                // (the default bound of 50 iterations reports it as hung).
                .loopBound(1_000)
                // SizeClasses is pure arithmetic over final tables; its loops are not waits.
                .addGuarantee(ManagedStrategyGuaranteeKt.forClasses(SizeClasses.class.getName()).allMethods().ignore())
                .check(AllocatorLincheckTest.class);
    }
}
