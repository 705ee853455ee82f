package io.segpool.allocator;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class SizeClassesTest {

    @Test
    void everySizeMapsToTheSmallestClassThatHoldsIt() {
        for (long size = 0; size <= SizeClasses.MAX_SIZE; size++) {
            int cls = SizeClasses.classOf(size);
            if (SizeClasses.size(cls) < size) {
                fail("size " + size + " maps to class " + SizeClasses.size(cls) + ", which is too small");
            }
            if (cls > 0 && SizeClasses.size(cls - 1) >= size) {
                fail("size " + size + " maps to class " + SizeClasses.size(cls) + " but class "
                        + SizeClasses.size(cls - 1) + " holds it");
            }
        }
    }

    @Test
    void tableIsStrictlyIncreasingMultiplesOfTheGranuleUpToOneMebibyte() {
        assertEquals(16, SizeClasses.size(0));
        assertEquals(SizeClasses.MAX_SIZE, SizeClasses.size(SizeClasses.count() - 1));
        for (int c = 1; c < SizeClasses.count(); c++) {
            assertTrue(SizeClasses.size(c) > SizeClasses.size(c - 1), "class " + c + " is not above class " + (c - 1));
            assertEquals(0, SizeClasses.size(c) % SizeClasses.GRANULE, "class " + SizeClasses.size(c));
        }
    }

    @Test
    void internalWasteIsAtMostAnEighthAbove128BytesAndUnderOneGranuleBelow() {
        for (int c = 1; c < SizeClasses.count(); c++) {
            long size = SizeClasses.size(c);
            long smallestRequest = SizeClasses.size(c - 1) + 1;
            long waste = size - smallestRequest;
            if (size > 128) {
                assertTrue(waste * 8 <= size, "class " + size + " wastes " + waste + " bytes for a "
                        + smallestRequest + "-byte request, above 12.5%");
            } else {
                assertTrue(waste < SizeClasses.GRANULE, "class " + size + " wastes " + waste);
            }
        }
    }

    @Test
    void everyPowerOfTwoStackSegmentSizeIsAClassOfItsOwn() {
        for (long size = 4096; size <= SizeClasses.MAX_SIZE; size <<= 1) {
            assertEquals(size, SizeClasses.size(SizeClasses.classOf(size)));
        }
    }

    @Test
    void chunksHoldABatchTileTheAddressMapAndStaySmall() {
        for (int c = 0; c < SizeClasses.count(); c++) {
            long blocks = SizeClasses.blocksPerChunk(c);
            long length = blocks * SizeClasses.size(c);
            assertTrue(blocks >= SizeClasses.batch(c), "class " + SizeClasses.size(c) + ": a chunk holds a batch");
            assertEquals(0, length % SizeClasses.CHUNK_ALIGNMENT, "class " + SizeClasses.size(c));
            assertTrue(length <= 2L << 20, "class " + SizeClasses.size(c) + " chunk of " + length
                    + " bytes: one request maps at most 2 MiB");
        }
        int oneMiB = SizeClasses.classOf(1 << 20);
        assertEquals(1, SizeClasses.blocksPerChunk(oneMiB), "a 1 MiB request maps one 1 MiB block, not 16");
    }

    @Test
    void ringsAreBoundedByBytesAndTradeHalfARing() {
        for (int c = 0; c < SizeClasses.count(); c++) {
            long size = SizeClasses.size(c);
            int capacity = SizeClasses.ringCapacity(c);
            assertTrue(capacity >= 1 && capacity <= SizeClasses.RING_CAPACITY, "class " + size);
            assertTrue(capacity * size <= Math.max(SizeClasses.RING_BYTES, size),
                    "class " + size + ": " + capacity + " blocks exceed the ring's byte bound");
            assertEquals(Math.max(1, capacity / 2), SizeClasses.batch(c), "class " + size);
            if (size <= 8192) {
                assertEquals(32, capacity, "class " + size + " keeps the full 32 slots");
                assertEquals(16, SizeClasses.batch(c), "class " + size);
            }
            int slots = SizeClasses.ringSlots(c);
            if (size > SizeClasses.LARGE_RING_CLASS) {
                assertTrue(SizeClasses.isLargeRing(c), "class " + size);
                assertEquals(Math.max(SizeClasses.LARGE_RING_SLOTS, capacity), slots, "class " + size + ": a large ring's slots");
                assertTrue(capacity < slots, "class " + size + " has room to grow");
            } else {
                assertEquals(capacity, slots, "class " + size + " never grows");
            }
        }
    }

    @Test
    void divisionMagicFindsEveryBlockOfAChunk() {
        for (int c = 0; c < SizeClasses.count(); c++) {
            long size = SizeClasses.size(c);
            long magic = SizeClasses.divisionMagic(c);
            for (long k = 0; k < SizeClasses.blocksPerChunk(c); k++) {
                long offset = k * size;
                assertEquals(k, (offset * magic) >>> 32, "class " + size + " block " + k);
            }
        }
    }

    @Test
    void alignedRequestsGetAClassWhoseSizeIsAMultipleOfTheAlignment() {
        for (long alignment = 1; alignment <= SizeClasses.CHUNK_ALIGNMENT; alignment <<= 1) {
            for (long size : new long[] {0, 1, 17, 100, 1000, 5000, 40_000, 300_000}) {
                int cls = SizeClasses.classOf(size, alignment);
                long classSize = SizeClasses.size(cls);
                assertTrue(classSize >= size, size + "@" + alignment);
                assertEquals(0, classSize % Math.max(alignment, SizeClasses.GRANULE), size + "@" + alignment);
            }
        }
        assertEquals(-1, SizeClasses.classOf(8, SizeClasses.CHUNK_ALIGNMENT * 2));
    }
}
