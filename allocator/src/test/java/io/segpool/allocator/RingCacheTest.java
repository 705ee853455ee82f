package io.segpool.allocator;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RingCacheTest {

    private static final long SIZE = 64;

    @Test
    void oneRefillPerSixteenAllocationsAndOneSpillPerSixteenFreesPastAFullRing() {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            int cls = TestSupport.classOf(SIZE);
            CentralStack central = allocator.central(cls);
            ThreadCache cache = allocator.threadCache();
            MemorySegment[] blocks = new MemorySegment[160];
            for (int i = 0; i < blocks.length; i++) {
                blocks[i] = cache.allocate(SIZE);
                assertEquals(i / 16 + 1, central.refills(), "refills after " + (i + 1) + " allocations");
            }
            assertEquals(0, central.spills());
            for (int i = 0; i < blocks.length; i++) {
                cache.free(blocks[i]);
                // The ring fills to 32; every 16 frees after that spill one batch.
                long expected = i < SizeClasses.RING_CAPACITY ? 0 : (i - SizeClasses.RING_CAPACITY) / 16 + 1;
                assertEquals(expected, central.spills(), "spills after " + (i + 1) + " frees");
            }
            MemStats stats = TestSupport.stats(allocator);
            assertEquals(SizeClasses.RING_CAPACITY * SIZE, stats.cached(), "a full ring holds 32 blocks");
            assertEquals(10, stats.classRefills(cls));
            assertEquals(8, stats.classSpills(cls));
            TestSupport.assertConserved(stats);
        }
    }

    @Test
    void allocationReusesTheNewestFreedBlockFirst() {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            ThreadCache cache = allocator.threadCache();
            MemorySegment a = cache.allocate(SIZE);
            MemorySegment b = cache.allocate(SIZE);
            cache.free(a);
            cache.free(b);
            assertEquals(b.address(), cache.allocate(SIZE).address(), "LIFO: the warmest block comes back first");
            assertEquals(a.address(), cache.allocate(SIZE).address());
        }
    }

    @Test
    void blocksAreDistinctAndAlignedToTheirSize() {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            ThreadCache cache = allocator.threadCache();
            Set<Long> seen = new HashSet<>();
            for (int i = 0; i < 1000; i++) {
                MemorySegment block = cache.allocate(8192);
                assertTrue(seen.add(block.address()), "block handed out twice");
                assertEquals(0, block.address() % 8192, "8 KiB blocks are 8 KiB aligned");
                assertEquals(8192, block.byteSize());
            }
        }
    }
}
