package io.segpool.allocator;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ThreadLifecycleTest {

    @Test
    void endedPlatformThreadsStrandNothingAndSysReturnsToItsFloor() throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            MemStats before = TestSupport.stats(allocator);
            List<Thread> threads = new ArrayList<>();
            TestThreads.Failure failure = new TestThreads.Failure();
            for (int t = 0; t < 1000; t++) {
                int seed = t;
                threads.add(TestThreads.start("short-lived-" + t, failure, () -> {
                    MemorySegment[] blocks = new MemorySegment[40];
                    for (int i = 0; i < blocks.length; i++) {
                        blocks[i] = allocator.allocate(16L << (seed + i) % 12);
                    }
                    for (MemorySegment block : blocks) {
                        allocator.free(block);
                    }
                }));
            }
            TestThreads.joinAll(threads);
            failure.rethrow("a short-lived thread failed");
            MemStats beforeTrim = TestSupport.stats(allocator);
            TestSupport.assertConserved(beforeTrim);
            assertEquals(0, beforeTrim.cached(), "readMemStats reclaimed every ended thread's cache\n" + beforeTrim);
            assertEquals(0, beforeTrim.threadCaches(), "no cache of an ended thread is left\n" + beforeTrim);

            allocator.trim();
            MemStats after = TestSupport.stats(allocator);
            assertEquals(TestSupport.resident(before), TestSupport.resident(after),
                    "Sys - Released back to its floor\n" + after);
            assertEquals(0, after.central());
            assertEquals(1000L * 40, after.mallocs());
            TestSupport.assertConserved(after);
        }
    }

    /**
     * The table platform threads find their caches in is bounded by the live threads, not by
     * every thread that ever called: 8,000 short-lived threads, four alive at a time, leave a
     * table of its minimum size, every block back, and every call counted.
     */
    @Test
    void threadChurnLeavesTheCacheTableBoundedByTheLiveThreads() throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            int rounds = 2_000;
            int width = 4;
            int largest = 0;
            TestThreads.Failure failure = new TestThreads.Failure();
            for (int round = 0; round < rounds; round++) {
                Thread[] threads = new Thread[width];
                for (int t = 0; t < width; t++) {
                    threads[t] = TestThreads.start("churn-" + t, failure, () -> allocator.free(allocator.allocate(96)));
                }
                TestThreads.joinAll(threads);
                failure.rethrow("round " + round);
                largest = Math.max(largest, allocator.cacheTableAcquire().length);
            }
            MemStats stats = TestSupport.stats(allocator);
            assertEquals(0, stats.threadCaches(), "every ended thread's cache reclaimed\n" + stats);
            assertEquals(0, stats.cached(), stats.toString());
            assertEquals((long) rounds * width, stats.mallocs());
            assertEquals(stats.mallocs(), stats.frees());
            assertTrue(largest <= 64, "the table grew to " + largest + " slots for at most " + width
                    + " live threads and one reclaim scan per registration");
            assertEquals(64, allocator.cacheTableAcquire().length);
        }
    }

    @Test
    void aThreadsCachedBlocksGoCentralOnTheNextSlowPathOfAnotherThread() throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            int cls = SizeClasses.classOf(64);
            TestThreads.Failure failure = new TestThreads.Failure();
            TestThreads.joinAll(TestThreads.start("short-lived", failure, () -> allocator.free(allocator.allocate(64))));
            // A new thread registers, so its first refill scans and reclaims the ended thread's ring.
            TestThreads.joinAll(TestThreads.start("next", failure, () -> allocator.allocate(128)));
            failure.rethrow("a thread failed");
            assertEquals(CentralStack.BATCH, allocator.central(cls).blockCount(),
                    "the ended thread's 16 blocks are back on the central stack");
        }
    }

    @Test
    void aHundredThousandVirtualThreadsShareABoundedSetOfCaches() throws Exception {
        int threads = 100_000;
        try (NativeAllocator allocator = NativeAllocator.create()) {
            AtomicInteger done = new AtomicInteger();
            List<Thread> started = new ArrayList<>(threads);
            for (int t = 0; t < threads; t++) {
                long size = 16L << (t % 10);
                started.add(Thread.ofVirtual().start(() -> {
                    MemorySegment block = allocator.allocate(size);
                    block.fill((byte) 1);
                    Thread.yield();
                    allocator.free(block);
                    done.incrementAndGet();
                }));
            }
            TestThreads.joinAll(started);
            MemStats stats = TestSupport.stats(allocator);
            int bound = 2 * Runtime.getRuntime().availableProcessors();
            System.out.printf("virtual threads: %,d ran, %d thread caches (bound %d)%n", done.get(),
                    stats.threadCaches(), bound);
            assertEquals(threads, done.get());
            assertTrue(stats.threadCaches() <= bound, stats.threadCaches() + " caches for virtual threads\n" + stats);
            assertEquals(0, stats.inuse());
            assertEquals(threads, stats.mallocs());
            TestSupport.assertConserved(stats);
        }
    }

    @Test
    void virtualThreadsCannotHoldACache() throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            Throwable[] thrown = new Throwable[1];
            TestThreads.joinAll(Thread.ofVirtual().start(() -> thrown[0] = catching(allocator::threadCache)));
            assertTrue(thrown[0] instanceof IllegalStateException, String.valueOf(thrown[0]));
            assertTrue(thrown[0].getMessage().contains("virtual"), thrown[0].getMessage());
        }
    }

    @Test
    void aHeldCacheRefusesAnyThreadButItsOwner() throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            ThreadCache mine = allocator.threadCache();
            MemorySegment block = mine.allocate(64);
            MemStats before = TestSupport.stats(allocator);
            Throwable[] thrown = new Throwable[1];
            TestThreads.joinAll(Thread.ofPlatform().start(() -> thrown[0] = catching(() -> mine.free(block))));
            assertTrue(thrown[0] instanceof WrongThreadException, String.valueOf(thrown[0]));
            assertTrue(thrown[0].getMessage().contains("belongs to the thread"), thrown[0].getMessage());
            assertEquals(before, TestSupport.stats(allocator));
            mine.free(block);
            assertThrows(IllegalStateException.class, () -> mine.free(block), "and then it is a double free");
        }
    }

    private static Throwable catching(Runnable action) {
        try {
            action.run();
            return null;
        } catch (Throwable e) {
            return e;
        }
    }
}
