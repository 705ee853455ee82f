package io.segpool.allocator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17 item 5: a virtual thread that ends without closing its {@code borrowCache()} kept its
 * stripe forever, and after 2 x CPUs of them every virtual-thread allocation parked for good. A
 * stripe whose holder ended now comes back, with its blocks, to the next thread that needs one,
 * and a wait for a stripe that every live thread holds ends with the reason.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LeakedBorrowTest {

    @Test
    void stripesOfEndedBorrowersComeBackWithTheirBlocks() throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            int stripes = 2 * Runtime.getRuntime().availableProcessors();
            Set<Long> held = ConcurrentHashMap.newKeySet();
            // Three rounds of leakers, each more than every stripe: the old code hung in the first.
            for (int round = 0; round < 3; round++) {
                List<Thread> leakers = new ArrayList<>();
                for (int i = 0; i < stripes + 2; i++) {
                    leakers.add(Thread.ofVirtual().start(() -> {
                        ThreadCache cache = allocator.borrowCache(); // never closed
                        for (int k = 0; k < 5; k++) {
                            long block = cache.allocateAddress(64);
                            allocator.segment(block, 64).set(ValueLayout.JAVA_LONG, 0, block);
                            assertTrue(held.add(block), "a block handed out twice");
                        }
                        long spare = cache.allocateAddress(64);
                        cache.freeAddress(spare, 64); // a free block left in the leaked stripe's ring
                    }));
                }
                for (Thread leaker : leakers) {
                    assertTrue(leaker.join(Duration.ofSeconds(30)), "a borrower hung: stripes of ended threads stayed taken");
                }
            }
            // Plain virtual-thread allocations still run, and never get a block that is held.
            List<Thread> users = new ArrayList<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            for (int i = 0; i < 4 * stripes; i++) {
                users.add(Thread.ofVirtual().start(() -> {
                    try {
                        for (int k = 0; k < 100; k++) {
                            long block = allocator.allocateAddress(64);
                            if (held.contains(block)) {
                                throw new AssertionError("block 0x" + Long.toHexString(block) + " is held by a leaker");
                            }
                            allocator.freeAddress(block, 64);
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                }));
            }
            for (Thread user : users) {
                assertTrue(user.join(Duration.ofSeconds(30)), "a virtual thread's allocation hung");
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            for (long block : held) {
                assertEquals(block, allocator.segment(block, 64).get(ValueLayout.JAVA_LONG, 0), "a leaker's block was overwritten");
                allocator.freeAddress(block, 64);
            }
            io.segpool.stats.MemStats stats = TestSupport.stats(allocator);
            assertEquals(0, stats.inuse());
            TestSupport.assertConserved(stats);
            assertTrue(allocator.caches.cacheCount() <= stripes + 1, "stripes stay bounded");
        }
    }

    @Test
    void aWaitForAStripeThatLiveThreadsHoldEndsWithTheReason() throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            allocator.caches.stripeWaitNanos = TimeUnit.MILLISECONDS.toNanos(300);
            int stripes = 2 * Runtime.getRuntime().availableProcessors();
            CountDownLatch allHeld = new CountDownLatch(stripes);
            CountDownLatch release = new CountDownLatch(1);
            List<Thread> holders = new ArrayList<>();
            for (int i = 0; i < stripes; i++) {
                holders.add(Thread.ofVirtual().start(() -> {
                    try (ThreadCache cache = allocator.borrowCache()) {
                        allHeld.countDown();
                        release.await();
                        cache.freeAddress(cache.allocateAddress(16), 16);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
            }
            assertTrue(allHeld.await(30, TimeUnit.SECONDS));
            AtomicReference<Throwable> refused = new AtomicReference<>();
            Thread waiter = Thread.ofVirtual().start(() -> {
                try {
                    allocator.allocateAddress(64);
                } catch (Throwable t) {
                    refused.set(t);
                }
            });
            assertTrue(waiter.join(Duration.ofSeconds(30)), "the waiter never gave up");
            release.countDown();
            for (Thread holder : holders) {
                assertTrue(holder.join(Duration.ofSeconds(30)));
            }
            assertNotNull(refused.get(), "the waiter got a stripe while every one was held");
            IllegalStateException e = assertInstanceOf(IllegalStateException.class, refused.get());
            assertTrue(e.getMessage().contains("none changed hands meanwhile: each is held by a live thread"), e.getMessage());
            // Once the holders closed their borrows, virtual threads allocate again.
            Thread after = Thread.ofVirtual().start(() -> allocator.freeAddress(allocator.allocateAddress(64), 64));
            assertTrue(after.join(Duration.ofSeconds(30)));
            assertEquals(0, TestSupport.stats(allocator).inuse());
        }
    }
}
