package io.segpool.allocator;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The large rings (classes above 64 KiB): a full ring grows by one block into its spare slots
 * while its thread's growth over all large classes stays within
 * {@link SizeClasses#LARGE_RING_BUDGET}, and every flush gives the growth back.
 */
class LargeRingTest {

    private static final long KiB = 1 << 10;
    private static final long MiB = 1 << 20;

    @Test
    void aBatchOfFourLargeBlocksStaysInTheRingRoundAfterRound() {
        for (long size : new long[] {72 * KiB, 256 * KiB, 512 * KiB, MiB}) {
            try (NativeAllocator allocator = NativeAllocator.create()) {
                ThreadCache cache = allocator.threadCache();
                int c = SizeClasses.classOf(size);
                assertEquals(SizeClasses.LARGE_RING_SLOTS, SizeClasses.ringSlots(c), size + " B");
                MemorySegment[] four = new MemorySegment[4];
                round(cache, size, four);
                MemStats first = TestSupport.stats(allocator);
                assertEquals(4 * size, first.cached(), size + " B: the ring grew to keep all four\n" + first);
                assertEquals(0, first.classSpills(c), size + " B: no free went to the central stack");
                for (int i = 0; i < 200; i++) {
                    round(cache, size, four);
                }
                MemStats after = TestSupport.stats(allocator);
                assertEquals(first.classRefills(c), after.classRefills(c), size + " B: later rounds never refill");
                assertEquals(0, after.classSpills(c), size + " B: nor spill");
                assertEquals(first.sys(), after.sys(), size + " B: nor map");
                assertEquals(201 * 4, after.classMallocs(c), size + " B: every allocation counted");
                TestSupport.assertConserved(after);
            }
        }
    }

    private static void round(ThreadCache cache, long size, MemorySegment[] blocks) {
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = cache.allocate(size);
        }
        for (MemorySegment block : blocks) {
            cache.free(block);
        }
    }

    @Test
    void theGrowthOverAllLargeClassesStaysWithinTheBudget() {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            ThreadCache cache = allocator.threadCache();
            long staticBound = 0;
            int large = 0;
            for (int c = 0; c < SizeClasses.count(); c++) {
                if (!SizeClasses.isLargeRing(c)) {
                    continue;
                }
                large++;
                long size = SizeClasses.size(c);
                staticBound += SizeClasses.ringCapacity(c) * size;
                List<MemorySegment> held = new ArrayList<>();
                for (int i = 0; i < SizeClasses.ringSlots(c) + 2; i++) {
                    held.add(cache.allocate(size));
                }
                held.forEach(cache::free);
                long inRing = RingCache.cached(cache, c);
                assertTrue(inRing <= SizeClasses.ringSlots(c), "class " + size + " holds " + inRing + " blocks");
                assertTrue(cache.grantedRingBytes <= SizeClasses.LARGE_RING_BUDGET, "granted " + cache.grantedRingBytes);
            }
            assertEquals(32, large, "every class above 64 KiB has a large ring");
            MemStats stats = TestSupport.stats(allocator);
            long growth = stats.cached() - staticBound;
            assertEquals(cache.grantedRingBytes, growth, "the grant is what the rings hold past their capacities\n" + stats);
            assertTrue(growth <= SizeClasses.LARGE_RING_BUDGET, "grew " + growth + " B past the static bounds");
            // The classes are filled smallest first, so the budget stops only when the next block passes it.
            assertTrue(growth > SizeClasses.LARGE_RING_BUDGET - MiB, "grew only " + growth + " B");
            assertEquals(0, stats.inuse());
            TestSupport.assertConserved(stats);
        }
    }

    @Test
    void flushGivesTheGrowthBackAndTheRingsGrowAgain() {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            ThreadCache cache = allocator.threadCache();
            int c = SizeClasses.classOf(MiB);
            MemorySegment[] four = new MemorySegment[4];
            round(cache, MiB, four);
            assertEquals(3 * MiB, cache.grantedRingBytes, "three frees past a one-block ring");
            assertEquals(4, cache.rings[c][ThreadCache.LIMIT]);

            assertEquals(4, cache.flush());
            assertEquals(0, cache.grantedRingBytes, "flush gives the grant back");
            assertEquals(SizeClasses.ringCapacity(c), cache.rings[c][ThreadCache.LIMIT], "the limit is the capacity again");
            MemStats flushed = TestSupport.stats(allocator);
            assertEquals(0, flushed.cached(), flushed.toString());
            assertEquals(4 * MiB, allocator.trim(), "trim reaches all four blocks");

            round(cache, MiB, four);
            MemStats again = TestSupport.stats(allocator);
            assertEquals(4 * MiB, again.cached(), "the ring grows again after the flush\n" + again);
            assertEquals(3 * MiB, cache.grantedRingBytes);
            TestSupport.assertConserved(again);
        }
    }

    @Test
    void anEndedThreadsGrownRingsAreReclaimedWithTheirGrowth() throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            TestThreads.Failure failure = new TestThreads.Failure();
            AtomicReference<ThreadCache> grown = new AtomicReference<>();
            Thread thread = TestThreads.start("grower", failure, () -> {
                ThreadCache cache = allocator.threadCache();
                round(cache, MiB, new MemorySegment[4]);
                assertEquals(4, RingCache.cached(cache, SizeClasses.classOf(MiB)), "the grown ring holds four");
                assertEquals(3 * MiB, cache.grantedRingBytes);
                grown.set(cache);
            });
            TestThreads.joinAll(thread);
            failure.rethrow("the growing thread");
            // readMemStats reclaims the caches of ended threads first: the four blocks are central now.
            MemStats stats = TestSupport.stats(allocator);
            assertEquals(0, stats.cached(), "the ended thread's cache was reclaimed, growth and all\n" + stats);
            assertEquals(4 * MiB, stats.central(), stats.toString());
            assertEquals(0, grown.get().grantedRingBytes, "the reclaim gave the grant back");
            assertEquals(4 * MiB, allocator.trim(), "and trim releases all four");
            MemStats after = TestSupport.stats(allocator);
            assertEquals(after.sys(), after.released(), after.toString());
            TestSupport.assertConserved(after);
        }
    }

    @Test
    void trimEmptiesAStripeWhoseRingsGrew() throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            TestThreads.Failure failure = new TestThreads.Failure();
            AtomicReference<ThreadCache> grown = new AtomicReference<>();
            TestThreads.joinAll(TestThreads.startVirtual(failure, () -> {
                try (ThreadCache stripe = allocator.borrowCache()) {
                    round(stripe, 512 * KiB, new MemorySegment[4]);
                    assertEquals(3 * 512 * KiB, stripe.grantedRingBytes);
                    grown.set(stripe);
                }
            }));
            failure.rethrow("the virtual thread");
            assertEquals(2 * MiB, TestSupport.stats(allocator).cached(), "the stripe's grown ring holds four");
            allocator.trim();
            MemStats after = TestSupport.stats(allocator);
            assertEquals(0, after.cached(), "trim flushed the stripe, growth and all\n" + after);
            assertEquals(after.sys(), after.released(), after.toString());
            // trim held the stripe's flag for its flush, so these reads see what the flush wrote.
            ThreadCache stripe = grown.get();
            assertEquals(0, stripe.grantedRingBytes, "the flushed stripe holds no grant");
            int c = SizeClasses.classOf(512 * KiB);
            assertEquals(SizeClasses.ringCapacity(c), stripe.rings[c][ThreadCache.LIMIT], "its ring is back to its capacity");
        }
    }

    /**
     * Four threads allocate runs of large blocks of mixed classes, stamp them, and free them in
     * their own ring or hand them to another thread to free: no block is ever live twice, every
     * stamp survives until its free, and every byte is accounted for at the end.
     */
    @Test
    void fourThreadsChurningLargeBlocksNeverShareOne() throws Exception {
        long[] sizes = {72 * KiB, 100 * KiB, 256 * KiB, 600 * KiB, MiB};
        try (NativeAllocator allocator = NativeAllocator.create()) {
            Set<Long> live = ConcurrentHashMap.newKeySet();
            List<ConcurrentLinkedQueue<MemorySegment>> handed = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                handed.add(new ConcurrentLinkedQueue<>());
            }
            TestThreads.Failure failure = new TestThreads.Failure();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int me = t;
                threads.add(TestThreads.start("churn-" + t, failure, () -> {
                    SplittableRandom random = new SplittableRandom(me);
                    ThreadCache cache = allocator.threadCache();
                    for (int round = 0; round < 3000; round++) {
                        MemorySegment[] run = new MemorySegment[1 + random.nextInt(6)];
                        for (int i = 0; i < run.length; i++) {
                            run[i] = cache.allocate(sizes[random.nextInt(sizes.length)]);
                            assertTrue(live.add(run[i].address()), "block handed out twice: " + run[i]);
                            run[i].set(ValueLayout.JAVA_LONG, 0, stamp(me, round, i));
                            run[i].set(ValueLayout.JAVA_LONG, run[i].byteSize() - 8, stamp(me, round, i));
                        }
                        for (int i = 0; i < run.length; i++) {
                            long stamp = stamp(me, round, i);
                            assertEquals(stamp, run[i].get(ValueLayout.JAVA_LONG, 0), "another owner wrote the block");
                            assertEquals(stamp, run[i].get(ValueLayout.JAVA_LONG, run[i].byteSize() - 8));
                            assertTrue(live.remove(run[i].address()));
                            if (random.nextInt(3) == 0) {
                                handed.get((me + 1) % 4).add(run[i]);
                            } else {
                                cache.free(run[i]);
                            }
                        }
                        for (MemorySegment other; (other = handed.get(me).poll()) != null; ) {
                            cache.free(other);
                        }
                    }
                }));
            }
            TestThreads.joinAll(threads);
            failure.rethrow("a churning thread");
            for (ConcurrentLinkedQueue<MemorySegment> queue : handed) {
                for (MemorySegment left; (left = queue.poll()) != null; ) {
                    allocator.free(left);
                }
            }
            allocator.threadCache().flush(); // this thread is alive: trim could not reach its rings
            MemStats stats = TestSupport.stats(allocator);
            assertEquals(0, stats.inuse(), stats.toString());
            assertEquals(stats.mallocs(), stats.frees());
            TestSupport.assertConserved(stats);
            allocator.trim();
            MemStats trimmed = TestSupport.stats(allocator);
            assertEquals(trimmed.sys(), trimmed.released(), "the ended threads' grown rings all came back\n" + trimmed);
        }
    }

    private static long stamp(int thread, int round, int i) {
        return (long) thread << 48 | (long) round << 8 | i;
    }
}
