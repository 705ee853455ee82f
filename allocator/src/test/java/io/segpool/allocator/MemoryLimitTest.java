package io.segpool.allocator;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link AllocatorConfig#memoryLimit()}: a request past the cap is refused with
 * {@link MemoryLimitException}, changes nothing, and the allocator goes on once memory is freed;
 * a refusal first trims, so freed memory in other classes and in ended threads' caches is reused;
 * threads racing to map never take {@code Sys} past the cap.
 */
class MemoryLimitTest {

    private static final long CAP = 4L << 20;
    /** A 4 KiB class chunk is 16 blocks, 64 KiB: the cap holds exactly 64 of them. */
    private static final long SMALL = 4096;
    /** A large block: its own mapping of 1 MiB + 128 KiB (rounded to an eighth), so three fit under the cap, not four. */
    private static final long LARGE = SizeClasses.MAX_SIZE + 1;
    private static final long LARGE_MAPPING = LargeBlocks.spanBytes(LARGE);
    private static final int CYCLES = 50;

    @Test
    void fillingToTheLimitIsRefusedWithoutChangeAndFreeingMakesRoomAgain() {
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withMemoryLimit(CAP))) {
            for (int cycle = 0; cycle < CYCLES; cycle++) {
                // Small and large cycles take turns, so every large cycle needs the small chunks trimmed first.
                boolean large = cycle % 2 == 1;
                long size = large ? LARGE : SMALL;
                List<MemorySegment> held = new ArrayList<>();
                MemoryLimitException refused = null;
                MemStats before = null;
                while (refused == null) {
                    before = TestSupport.stats(allocator);
                    try {
                        held.add(allocator.allocate(size));
                    } catch (MemoryLimitException e) {
                        refused = e;
                    }
                }
                MemStats after = TestSupport.stats(allocator);
                assertEquals(before, after, "MemStats changed by the refused call, cycle " + cycle);
                assertEquals(large ? 3 : (int) (CAP / SMALL), held.size(), "blocks that fit, cycle " + cycle);
                long resident = TestSupport.resident(after);
                assertTrue(resident <= CAP, "Sys - Released " + resident + " past the cap");
                TestSupport.assertConserved(after);
                assertEquals(CAP, refused.limit());
                assertEquals(resident, refused.resident());
                assertEquals(large ? LARGE_MAPPING : SizeClasses.CHUNK_ALIGNMENT, refused.requested());
                String message = refused.getMessage();
                for (String word : List.of(String.valueOf(CAP), String.valueOf(resident),
                        large ? "large block of " + LARGE + " bytes" : SMALL + "-byte blocks", "memory limit")) {
                    assertTrue(message.contains(word), "'" + word + "' missing from: " + message);
                }
                // One block freed makes room for one again, and every block still reads back.
                allocator.free(held.removeLast());
                held.add(allocator.allocate(size));
                for (MemorySegment block : held) {
                    block.fill((byte) 7);
                    allocator.free(block);
                }
                TestSupport.assertConserved(TestSupport.stats(allocator));
            }
        }
        System.out.printf("memory limit: %d fill-to-cap cycles survived (cap %,d bytes)%n", CYCLES, CAP);
    }

    @Test
    void aRefusedMappingFirstTakesBackWhatAnEndedThreadLeftCached() throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withMemoryLimit(CAP))) {
            TestThreads.Failure failure = new TestThreads.Failure();
            Thread filler = TestThreads.start("filler", failure, () -> {
                List<MemorySegment> held = new ArrayList<>();
                for (long bytes = 0; bytes < CAP; bytes += SMALL) {
                    held.add(allocator.allocate(SMALL));
                }
                held.forEach(allocator::free);
            });
            TestThreads.joinAll(filler);
            failure.rethrow("the filler failed");
            // The ended thread's ring still pins two chunks until a trim reclaims it: the whole cap
            // fits only once the refused mapping's trim has taken them back.
            long most = CAP;
            MemorySegment big = allocator.allocate(most);
            assertEquals(most, big.byteSize());
            MemStats stats = TestSupport.stats(allocator);
            assertEquals(most, TestSupport.resident(stats), "only the large block is resident\n" + stats);
            allocator.free(big);
        }
    }

    @Test
    void twoThreadsRacingToTheLimitNeverPassIt() throws Exception {
        int rounds = 200;
        long cap = 8L << 20;
        long chunk64k = 64 * 1024 * SizeClasses.blocksPerChunk(SizeClasses.classOf(64 * 1024));
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withMemoryLimit(cap))) {
            AtomicLong peak = new AtomicLong();
            for (int round = 0; round < rounds; round++) {
                CyclicBarrier barrier = new CyclicBarrier(3);
                long[] counts = new long[2];
                TestThreads.Failure failure = new TestThreads.Failure();
                Thread[] threads = new Thread[2];
                for (int t = 0; t < 2; t++) {
                    int id = t;
                    long size = t == 0 ? LARGE : 64 * 1024;
                    threads[t] = TestThreads.start("racer-" + t, failure, () -> {
                        try {
                            List<MemorySegment> held = new ArrayList<>();
                            MemStats stats = new MemStats();
                            await(barrier);
                            while (true) {
                                try {
                                    held.add(allocator.allocate(size));
                                } catch (MemoryLimitException e) {
                                    break;
                                }
                                allocator.readMemStats(stats);
                                peak.accumulateAndGet(TestSupport.resident(stats), Math::max);
                            }
                            counts[id] = held.size();
                            await(barrier);
                            await(barrier);
                            held.forEach(allocator::free);
                        } catch (Throwable e) {
                            barrier.reset(); // the others' waits end with BrokenBarrierException
                            throw e;
                        }
                    });
                }
                try {
                    await(barrier);
                    await(barrier);
                    MemStats full = TestSupport.stats(allocator);
                    long resident = TestSupport.resident(full);
                    assertTrue(resident <= cap, "Sys - Released " + resident + " past the cap " + cap + ", round " + round);
                    assertTrue(cap - resident < Math.min(LARGE_MAPPING, chunk64k),
                            "both threads stopped while a chunk still fit: Sys - Released " + resident + ", round " + round);
                    assertEquals(counts[0] * LARGE_MAPPING + counts[1] * 64 * 1024, full.inuse(), "round " + round);
                    TestSupport.assertConserved(full);
                    await(barrier);
                } catch (AssertionError e) {
                    barrier.reset(); // lets the racers go: they free nothing, and end
                    TestThreads.joinAll(threads);
                    throw e;
                } catch (BrokenBarrierException | TimeoutException e) {
                    TestThreads.joinAll(threads);
                    failure.rethrow("round " + round);
                    throw new AssertionError("round " + round + ": the racers did not meet", e);
                }
                TestThreads.joinAll(threads);
                failure.rethrow("round " + round);
                allocator.trim();
                assertEquals(0, TestSupport.resident(TestSupport.stats(allocator)), "all given back, round " + round);
            }
            assertTrue(peak.get() <= cap, "peak Sys - Released " + peak.get() + " past the cap " + cap);
            System.out.printf("memory limit race: %d rounds of 2 threads, peak Sys - Released %,d bytes, cap %,d bytes%n",
                    rounds, peak.get(), cap);
        }
    }

    /** A barrier wait that ends: after {@link TestThreads#WAIT}, or when a racer failed and broke the barrier. */
    private static void await(CyclicBarrier barrier) throws Exception {
        barrier.await(TestThreads.WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Test
    void aLimitThatCannotHoldOneChunkIsRefused() {
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> AllocatorConfig.defaults().withMemoryLimit(-1));
        assertTrue(negative.getMessage().contains("memoryLimit -1 is negative"), negative.getMessage());
        IllegalArgumentException tiny = assertThrows(IllegalArgumentException.class,
                () -> AllocatorConfig.defaults().withMemoryLimit(4096));
        assertTrue(tiny.getMessage().contains("memoryLimit 4096 is below one chunk (65536"), tiny.getMessage());
        assertEquals(AllocatorConfig.UNLIMITED, AllocatorConfig.defaults().memoryLimit());
    }
}
