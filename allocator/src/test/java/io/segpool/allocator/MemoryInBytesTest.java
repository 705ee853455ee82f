package io.segpool.allocator;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the allocator holds is bounded in bytes: a ring of a large class holds at most its byte
 * bound, a flushed thread holds nothing, one request maps little, free large blocks are reused
 * under their cap, and a trim gives the pages back so that the process's resident set falls.
 */
class MemoryInBytesTest {

    private static final long MiB = 1 << 20;

    @Test
    void aThreadFreeing1MiBBlocksHoldsAtMostItsRingsByteBoundAndGrowthAndNothingAfterFlush() {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            ThreadCache cache = allocator.threadCache();
            List<MemorySegment> held = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                held.add(cache.allocate(MiB));
            }
            held.forEach(cache::free);
            MemStats stats = TestSupport.stats(allocator);
            int oneMiB = SizeClasses.classOf(MiB);
            long ringBound = SizeClasses.ringCapacity(oneMiB) * MiB;
            assertTrue(ringBound <= Math.max(SizeClasses.RING_BYTES, MiB), "ring bound " + ringBound);
            long bound = ringBound + SizeClasses.LARGE_RING_BUDGET;
            assertTrue(stats.cached() <= bound, "40 MiB freed, the ring keeps " + stats.cached() + " > " + bound);
            assertEquals(SizeClasses.ringSlots(oneMiB) * MiB, stats.cached(), "the one-block ring grew into its slots");
            assertEquals(40 * MiB, stats.cached() + stats.central(), "every freed byte is cached or central\n" + stats);
            assertEquals(SizeClasses.ringCapacity(oneMiB), stats.classRingCapacity(oneMiB));
            assertEquals(SizeClasses.batch(oneMiB), stats.classBatch(oneMiB));

            long flushed = cache.flush();
            stats = TestSupport.stats(allocator);
            assertEquals(0, stats.cached(), "a flushed thread holds no free block\n" + stats);
            assertTrue(flushed >= 1, "flush gave back " + flushed + " blocks");
            long given = allocator.trim();
            stats = TestSupport.stats(allocator);
            assertEquals(40 * MiB, given, "after flush, trim reaches every block");
            assertEquals(40 * MiB, stats.released());
            TestSupport.assertConserved(stats);
        }
    }

    @Test
    void pastTheCachedBytesLimitFreesGiveMemoryBackToTheOs() {
        long limit = 4 * MiB;
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withCachedBytesLimit(limit))) {
            long blockSize = 64 << 10;
            List<MemorySegment> held = new ArrayList<>();
            for (int i = 0; i < 512; i++) {
                held.add(allocator.allocate(blockSize));
            }
            held.add(allocator.allocate(8 * MiB));
            held.forEach(allocator::free);
            MemStats stats = TestSupport.stats(allocator);
            assertTrue(stats.central() <= limit, "free memory kept " + stats.central() + " past the limit " + limit
                    + "\n" + stats);
            assertTrue(stats.cached() <= SizeClasses.RING_BYTES, "the ring holds " + stats.cached());
            assertTrue(stats.released() >= 32 * MiB - limit - SizeClasses.RING_BYTES, "released " + stats.released());
            assertEquals(0, stats.inuse());
            TestSupport.assertConserved(stats);
        }
        try (NativeAllocator unlimited = NativeAllocator.create()) {
            assertEquals(AllocatorConfig.UNLIMITED, unlimited.config().cachedBytesLimit(), "off by default");
        }
    }

    @Test
    void oneRequestOfAnyClassMapsAtMostTwoMiB() {
        for (int c = 0; c < SizeClasses.count(); c++) {
            long size = SizeClasses.size(c);
            try (NativeAllocator allocator = NativeAllocator.create()) {
                allocator.free(allocator.allocate(size));
                MemStats stats = TestSupport.stats(allocator);
                assertTrue(stats.sys() <= 2 * MiB, "one " + size + "-byte request maps " + stats.sys() + " bytes");
                assertEquals(stats.classChunkBytes(c), stats.sys(), "one chunk of class " + size);
            }
        }
    }

    @Test
    void largeBlocksOfOneSizeAreReusedWithoutANewMapping() {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            MemorySegment first = allocator.allocate(16 * MiB);
            long address = first.address();
            allocator.free(first);
            long sys = TestSupport.stats(allocator).sys();
            for (int i = 0; i < 100; i++) {
                MemorySegment again = allocator.allocate(16 * MiB - 4096);
                assertEquals(address, again.address(), "the cached span is reused, pair " + i);
                allocator.free(again);
            }
            MemStats stats = TestSupport.stats(allocator);
            assertEquals(sys, stats.sys(), "no new mapping");
            assertEquals(16 * MiB, stats.central(), "the free span counts in Central\n" + stats);
            TestSupport.assertConserved(stats);
            IllegalStateException twice = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> allocator.freeAddress(address, 16 * MiB - 4096));
            assertTrue(twice.getMessage().contains("double free"), twice.getMessage());
            assertEquals(16 * MiB, allocator.trim(), "trim unmaps the cached span");
            assertEquals(0, TestSupport.stats(allocator).sys());
        }
    }

    /**
     * A database's pattern: threads allocating and freeing 1 to 64 MiB buffers at random. Free
     * spans stay under the cap, so {@code Sys} never passes cap + in-use by more than the mappings
     * in flight, and once the threads stop it is within the cap exactly.
     */
    @Test
    void randomLargeBuffersKeepSysUnderCapPlusInuse() throws Exception {
        long cap = 64 * MiB;
        int threads = 4;
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withLargeCacheBytes(cap))) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long seed = t;
                workers.add(Thread.ofPlatform().start(() -> {
                    SplittableRandom random = new SplittableRandom(seed);
                    MemorySegment[] held = new MemorySegment[2];
                    MemStats stats = new MemStats();
                    try {
                        for (int op = 0; op < 300; op++) {
                            int slot = random.nextInt(held.length);
                            if (held[slot] != null) {
                                allocator.free(held[slot]);
                                held[slot] = null;
                            } else {
                                held[slot] = allocator.allocate(MiB + random.nextLong(63 * MiB));
                                held[slot].set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, op);
                            }
                            allocator.readMemStats(stats);
                            long inFlight = threads * 72 * MiB;
                            assertTrue(stats.sys() <= cap + stats.inuse() + inFlight, "Sys " + stats.sys()
                                    + " past cap + Inuse " + stats.inuse());
                        }
                        for (MemorySegment segment : held) {
                            if (segment != null) {
                                allocator.free(segment);
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            TestThreads.joinAll(workers);
            if (failure.get() != null) {
                throw new AssertionError("a worker failed", failure.get());
            }
            MemStats stats = TestSupport.stats(allocator);
            assertEquals(0, stats.inuse());
            assertTrue(stats.sys() <= cap, "idle: Sys " + stats.sys() + " within the large cache's cap " + cap);
            TestSupport.assertConserved(stats);
        }
    }

    @Test
    void trimGivesResidentMemoryBackToTheOs() throws IOException {
        long before = residentBytes();
        try (NativeAllocator allocator = NativeAllocator.create()) {
            long blockSize = 64 << 10;
            int blocks = (int) (512 * MiB / blockSize);
            long[] held = new long[blocks];
            for (int i = 0; i < blocks; i++) {
                held[i] = allocator.allocateAddress(blockSize);
                allocator.segment(held[i], blockSize).fill((byte) 1);
            }
            long touched = residentBytes();
            assertTrue(touched - before >= 400 * MiB, "touching 512 MiB raised RSS by " + (touched - before));
            for (long address : held) {
                allocator.freeAddress(address, blockSize);
            }
            allocator.threadCache().flush();
            allocator.trim();
            long after = residentBytes();
            assertTrue(after - before <= 64 * MiB, "RSS " + (after - before) / MiB + " MiB above where it started"
                    + " after free, flush and trim (it was " + (touched - before) / MiB + " MiB above)");
            System.out.printf("RSS: %,d MiB at start, +%,d MiB with 512 MiB touched, +%,d MiB after free, flush"
                    + " and trim%n", before / MiB, (touched - before) / MiB, (after - before) / MiB);
            MemStats stats = TestSupport.stats(allocator);
            assertEquals(512 * MiB, stats.released(), "Released counts what trim gave back\n" + stats);
            TestSupport.assertConserved(stats);
        }
    }

    private static long residentBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS line in /proc/self/status");
    }
}
