package io.segpool.allocator;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code trim()} reaches what virtual threads freed: their blocks sit in the shared stripes'
 * rings, which outlive the threads, and a trim empties every stripe no thread holds before it
 * releases chunks. Also {@link NativeAllocator#blockSize(long, long)}, the bytes an aligned
 * request takes, checked against what Inuse counts.
 */
class StripeTrimTest {

    @Test
    void trimEmptiesTheStripesVirtualThreadsLeftBlocksIn() throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            TestThreads.Failure failure = new TestThreads.Failure();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 64; t++) {
                threads.add(TestThreads.startVirtual(failure, () -> {
                    long[] blocks = new long[24];
                    allocator.allocateBatch(4096, blocks, 0, blocks.length);
                    allocator.freeBatch(4096, blocks, 0, blocks.length);
                }));
            }
            TestThreads.joinAll(threads.toArray(Thread[]::new));
            failure.rethrow("a virtual thread failed");
            MemStats before = TestSupport.stats(allocator);
            assertTrue(before.cached() > 0, "the stripes' rings hold what the virtual threads freed\n" + before);
            allocator.trim();
            MemStats after = TestSupport.stats(allocator);
            assertEquals(0, after.cached(), "trim emptied every idle stripe\n" + after);
            assertEquals(0, after.central(), "and released every chunk they completed\n" + after);
            assertEquals(after.sys(), after.released());
            TestSupport.assertConserved(after);
            // The stripes serve again after the flush.
            TestThreads.joinAll(TestThreads.startVirtual(failure, () -> allocator.freeAddress(allocator.allocateAddress(64), 64)));
            failure.rethrow("a virtual thread after the trim");
        }
    }

    @Test
    void blockSizeOfAnAlignedRequestIsWhatInuseCounts() {
        long[][] cases = {{64, 16}, {64, 64}, {64, 4096}, {100, 256}, {5000, 8192}, {1, 65536}, {3 << 20, 4096},
            {100, 1 << 20}, {0, 1}};
        try (NativeAllocator allocator = NativeAllocator.create()) {
            for (long[] c : cases) {
                MemorySegment block = allocator.allocate(c[0], c[1]);
                long inuse = TestSupport.stats(allocator).inuse();
                assertEquals(inuse, NativeAllocator.blockSize(c[0], c[1]), "size " + c[0] + ", alignment " + c[1]);
                assertEquals(0, block.address() % c[1]);
                allocator.free(block);
            }
        }
        assertEquals(NativeAllocator.blockSize(64), NativeAllocator.blockSize(64, 16));
    }
}
