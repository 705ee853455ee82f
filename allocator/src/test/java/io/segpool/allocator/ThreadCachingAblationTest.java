package io.segpool.allocator;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The benchmark ablations are the same allocator with a switch: they must stay correct, and differ where claimed. */
class ThreadCachingAblationTest {

    @ParameterizedTest
    @EnumSource(ThreadCaching.class)
    void everyModeHandsOutDistinctBlocksAndConservesBytes(ThreadCaching caching) {
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withThreadCaching(caching))) {
            long[] held = new long[500];
            java.util.Set<Long> live = new java.util.HashSet<>();
            for (int round = 0; round < 20; round++) {
                for (int i = 0; i < held.length; i++) {
                    held[i] = allocator.allocateAddress(48);
                    assertTrue(live.add(held[i]), caching + ": block handed out twice");
                }
                for (long block : held) {
                    allocator.freeAddress(block, 48);
                    live.remove(block);
                }
            }
            MemStats stats = new MemStats();
            allocator.readMemStats(stats);
            assertEquals(0, stats.inuse());
            assertEquals(20 * 500, stats.mallocs());
            TestSupport.assertConserved(stats);
        }
    }

    /** Seed 001's "before": a thread that only frees keeps every block, so Sys grows with the count. */
    @Test
    void unboundedCachesGrowSysWithTheCountAndBoundedOnesDoNot() throws Exception {
        long bounded = crossThreadSys(ThreadCaching.BOUNDED, 200_000);
        long unbounded = crossThreadSys(ThreadCaching.UNBOUNDED, 200_000);
        assertTrue(bounded <= 256 * 1024, "bounded Sys " + bounded);
        assertTrue(unbounded >= 190_000L * 64, "unbounded Sys " + unbounded + " should hold nearly every block");
    }

    private static long crossThreadSys(ThreadCaching caching, int blocks) throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withThreadCaching(caching))) {
            TestThreads.Failure failure = new TestThreads.Failure();
            Handoff queue = new Handoff(1024, failure, TestThreads.WAIT);
            MemStats stats = new MemStats();
            long[] sysBeforeExit = new long[1];
            Thread consumer = TestThreads.start("consumer", failure, () -> {
                for (int i = 0; i < blocks; i++) {
                    allocator.freeAddress(queue.take(), 64);
                }
                allocator.readMemStats(stats); // while this thread still holds its cache
                sysBeforeExit[0] = stats.sys();
            });
            try {
                for (int i = 0; i < blocks; i++) {
                    queue.put(allocator.allocateAddress(64));
                }
            } catch (Throwable e) {
                failure.record(e); // stops the consumer's wait too
            }
            TestThreads.joinAll(consumer);
            failure.rethrow(caching + ": the producer or the consumer failed");
            return sysBeforeExit[0];
        }
    }
}
