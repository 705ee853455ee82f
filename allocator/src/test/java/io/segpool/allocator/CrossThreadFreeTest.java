package io.segpool.allocator;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seed 001's scenario: one thread allocates, another frees, ten million times. With unbounded
 * thread caches the freeing thread's cache grows without limit; with bounded rings the blocks flow
 * back to the producer through the central stack and {@code Sys} stays flat.
 *
 * <p>The bound: at any moment at most {@code QUEUE} blocks are in the hand-off, one in each
 * thread's hands, and 32 in each thread's ring; a chunk is carved only when the central stack is
 * empty, 16 blocks at a time. So no more than {@code QUEUE + 2 + 2 * 32 + 16} blocks are ever
 * carved, and {@code Sys} is at most that many blocks rounded up to whole chunks, plus the one
 * chunk being carved: a bound that does not depend on the number of blocks passed.
 */
class CrossThreadFreeTest {

    private static final int QUEUE = 1024;
    private static final long BLOCKS = 10_000_000;
    private static final long SIZE = 64;

    @Test
    void sysStaysUnderAFewChunksWhateverTheCount() throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            int cls = SizeClasses.classOf(SIZE);
            long chunkBytes = SizeClasses.blocksPerChunk(cls) * SizeClasses.size(cls);
            long maxCarved = QUEUE + 2 + 2L * SizeClasses.RING_CAPACITY + CentralStack.BATCH;
            long bound = (Math.ceilDiv(maxCarved, SizeClasses.blocksPerChunk(cls)) + 1) * chunkBytes;

            TestThreads.Failure failure = new TestThreads.Failure();
            Handoff queue = new Handoff(QUEUE, failure, TestThreads.WAIT);
            long[] peakSys = new long[1];
            Thread consumer = TestThreads.start("consumer", failure, () -> {
                for (long i = 0; i < BLOCKS; i++) {
                    long address = queue.take();
                    long seen = allocator.segment(address, SIZE).get(ValueLayout.JAVA_LONG, 0);
                    if (seen != i) {
                        throw new AssertionError("block " + i + " carried " + seen);
                    }
                    allocator.freeAddress(address, SIZE);
                }
            });
            MemStats stats = new MemStats();
            try {
                for (long i = 0; i < BLOCKS; i++) {
                    long address = allocator.allocateAddress(SIZE);
                    allocator.segment(address, SIZE).set(ValueLayout.JAVA_LONG, 0, i);
                    queue.put(address);
                    if (i % 1_000_000 == 0) {
                        allocator.readMemStats(stats);
                        peakSys[0] = Math.max(peakSys[0], stats.sys());
                    }
                }
            } catch (Throwable e) {
                failure.record(e); // stops the consumer's wait too
            }
            TestThreads.joinAll(consumer);
            failure.rethrow("the producer or the consumer failed");
            allocator.readMemStats(stats);
            peakSys[0] = Math.max(peakSys[0], stats.sys());
            System.out.printf("cross-thread free: %,d blocks of %d B, peak Sys %,d bytes, bound %,d bytes%n",
                    BLOCKS, SIZE, peakSys[0], bound);
            assertTrue(peakSys[0] <= bound, "Sys " + peakSys[0] + " above the bound " + bound + "\n" + stats);
            assertEquals(0, stats.inuse());
            assertEquals(BLOCKS, stats.mallocs());
            TestSupport.assertConserved(stats);
        }
    }
}
