package io.segpool.allocator;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link NativeAllocator#borrowCache()}: a virtual thread gets one of the shared stripes for a
 * scope, the stripes stay bounded, no block is ever held by two borrowers, and a cache given back
 * refuses its old borrower; a platform thread gets its own cache, which closing leaves alone.
 */
class BorrowCacheTest {

    private static final int THREADS = 2_000;
    private static final int PAIRS = 200;
    private static final int HELD = 40;

    @Test
    void virtualThreadsBorrowingAtOnceNeverShareABlockAndStayWithinTheStripes() throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            Set<Long> live = ConcurrentHashMap.newKeySet();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                long stamp = t;
                threads.add(Thread.ofVirtual().start(() -> {
                    try (ThreadCache cache = allocator.borrowCache()) {
                        MemorySegment[] held = new MemorySegment[HELD];
                        for (int i = 0; i < PAIRS; i++) {
                            int slot = i % HELD;
                            if (held[slot] != null) {
                                assertEquals(stamp, held[slot].get(ValueLayout.JAVA_LONG, 0), "a block was shared");
                                assertTrue(live.remove(held[slot].address()));
                                cache.free(held[slot]);
                            }
                            held[slot] = cache.allocate(64 + 16 * (i % 8));
                            assertTrue(live.add(held[slot].address()), "a block handed out twice");
                            held[slot].set(ValueLayout.JAVA_LONG, 0, stamp);
                            if (i % 50 == 0) {
                                Thread.yield(); // unmount while holding the stripe
                            }
                        }
                        for (MemorySegment block : held) {
                            assertEquals(stamp, block.get(ValueLayout.JAVA_LONG, 0), "a block was shared");
                            live.remove(block.address());
                            cache.free(block);
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            TestThreads.joinAll(threads);
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            MemStats stats = TestSupport.stats(allocator);
            TestSupport.assertConserved(stats);
            assertEquals(0, stats.inuse(), stats.toString());
            assertEquals((long) THREADS * PAIRS, stats.mallocs());
            assertEquals(stats.mallocs(), stats.frees());
            assertTrue(stats.threadCaches() <= 2L * Runtime.getRuntime().availableProcessors(), stats.toString());
        }
    }

    @Test
    void aBorrowerMayAlsoCallTheAllocatorAndAGivenBackCacheRefusesItsOldBorrower() throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread borrower = Thread.ofVirtual().start(() -> {
                try {
                    ThreadCache cache = allocator.borrowCache();
                    MemorySegment inner = allocator.allocate(100); // the stripe it holds: re-entry
                    MemorySegment outer = cache.allocate(100);
                    allocator.free(outer);
                    cache.free(inner);
                    cache.close();
                    IllegalStateException refused = assertThrows(IllegalStateException.class, () -> cache.allocate(8));
                    assertTrue(refused.getMessage().contains("given back"), refused.getMessage());
                    try (ThreadCache again = allocator.borrowCache()) {
                        again.free(again.allocate(8));
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            TestThreads.joinAll(borrower);
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            MemStats stats = TestSupport.stats(allocator);
            assertEquals(0, stats.inuse());
            assertEquals(3, stats.mallocs());
        }
    }

    /**
     * The borrower is alive and still holds the cache while another thread uses it (a borrower
     * that ended without closing is another matter: its stripe must come back, issue 17 item 5).
     */
    @Test
    void anotherThreadUsingABorrowedCacheIsRefused() throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            AtomicReference<ThreadCache> borrowed = new AtomicReference<>();
            CountDownLatch holding = new CountDownLatch(1);
            CountDownLatch tried = new CountDownLatch(1);
            TestThreads.Failure failure = new TestThreads.Failure();
            Thread owner = TestThreads.startVirtual(failure, () -> {
                try (ThreadCache cache = allocator.borrowCache()) {
                    borrowed.set(cache);
                    holding.countDown();
                    assertTrue(tried.await(TestThreads.WAIT.toMillis(), TimeUnit.MILLISECONDS), "the other thread did not try");
                    cache.free(cache.allocate(8)); // still the borrower's
                }
            });
            try {
                assertTrue(holding.await(TestThreads.WAIT.toMillis(), TimeUnit.MILLISECONDS), "the borrower did not borrow");
                MemStats before = TestSupport.stats(allocator);
                WrongThreadException refused = assertThrows(WrongThreadException.class, () -> borrowed.get().allocate(8));
                assertTrue(refused.getMessage().contains("belongs to the thread that got it"), refused.getMessage());
                assertThrows(WrongThreadException.class, () -> borrowed.get().close(), "nor may it give the cache back");
                assertEquals(before, TestSupport.stats(allocator), "the refused calls changed nothing");
            } finally {
                tried.countDown();
                TestThreads.joinAll(owner);
            }
            failure.rethrow("the borrower failed");
            assertEquals(1, TestSupport.stats(allocator).mallocs(), "only the borrower's own allocation");
        }
    }

    @Test
    void aPlatformThreadBorrowsItsOwnCacheAndClosingItChangesNothing() {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            ThreadCache own = allocator.threadCache();
            try (ThreadCache cache = allocator.borrowCache()) {
                assertSame(own, cache);
                cache.free(cache.allocate(64));
            }
            own.free(own.allocate(64));
            assertEquals(1, TestSupport.stats(allocator).threadCaches());
        }
    }
}
