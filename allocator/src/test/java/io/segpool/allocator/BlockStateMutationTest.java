package io.segpool.allocator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;

import static io.segpool.allocator.RefusalMessageTest.refused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Block states on the slow paths: a block allocated with an alignment into a larger class than
 * its size names (a 0-byte one too) frees into that class and comes back only from it, and its
 * wrong frees are refused as any other's; debug mode refuses to hand out a block whose state says
 * it is in use though it sits in a free list, and forgets the freed blocks of a chunk that trim
 * released, so the fresh chunk carved there next is not taken for a write after free; leak
 * tracking drops a block's record when it is freed.
 */
@Timeout(60)
class BlockStateMutationTest {

    @Test
    void anAlignedBlockFreesIntoItsOwnClassAndComesBackOnlyFromIt() {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            ThreadCache cache = allocator.threadCache();
            for (long size : new long[] {0, 8, 100}) {
                MemorySegment block = cache.allocate(size, 64);
                long address = block.address();
                assertEquals(0, address % 64);
                int sizeClass = allocator.heap.classAt(address - allocator.heap.base);
                assertNotEquals(SizeClasses.classOf(size), sizeClass, "served from a larger class than the size names");
                cache.free(block);
                assertEquals(0, TestSupport.stats(allocator).inuse(), size + " B aligned block freed");
                refused(allocator, IllegalStateException.class, "free: segment 0x" + Long.toHexString(address) + " ("
                        + size + " bytes) is a " + SizeClasses.size(sizeClass) + "-byte block that is"
                        + " already free (double free)", () -> cache.free(block));
                long smaller = cache.allocateAddress(size);
                assertNotEquals(address, smaller, "the freed block went to the class its size names");
                assertEquals(address, cache.allocate(size, 64).address(), "the freed block is the next of its class");
                cache.freeAddress(address, size);
                cache.freeAddress(smaller, size);
            }
            long aligned = cache.allocate(100, 64).address();
            refused(allocator, IllegalArgumentException.class, "free: segment 0x" + Long.toHexString(aligned) + " (96"
                    + " bytes) has 96 bytes but the block was allocated with 100: free the segment allocate returned,"
                    + " not a slice or a resized view", () -> cache.freeAddress(aligned, 96));
            cache.freeAddress(aligned, 100);
        }
    }

    @Test
    void debugModeRefusesAFreeBlockWhoseStateSaysInUse() {
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withDebug(true))) {
            ThreadCache cache = allocator.threadCache();
            long pin = cache.allocateAddress(16); // the heap's first chunk: the 64 B block is not at offset 0
            long address = cache.allocateAddress(64);
            cache.freeAddress(address, 64); // on top of the ring: the next 64 B block handed out
            Heap heap = allocator.heap;
            int sizeClass = SizeClasses.classOf(64);
            long offset = address - heap.base;
            BlockState.handOut(heap.all, heap.intTable, heap.byteTable, sizeClass, offset, 0); // corrupt it
            IllegalStateException bad = assertThrows(IllegalStateException.class, () -> cache.allocateAddress(64));
            assertEquals("bad block state: block 0x" + Long.toHexString(address) + " was in a free list while marked"
                    + " in use", bad.getMessage());
            assertTrue(BlockState.free(heap.all, heap.intTable, heap.byteTable, sizeClass, offset, 0));
            assertEquals(address, cache.allocateAddress(64), "the repaired block is handed out");
            cache.freeAddress(address, 64);
            cache.freeAddress(pin, 16);
        }
    }

    @Test
    void debugModeTakesAChunkCarvedAfterTrimForFreshMemory() {
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withDebug(true))) {
            ThreadCache cache = allocator.threadCache();
            long pin = cache.allocateAddress(16);
            long freed = cache.allocateAddress(64); // a 64 KiB chunk after the pin's
            cache.freeAddress(freed, 64);           // poisoned, its free remembered
            cache.flush();
            assertEquals(Heap.GRAIN, allocator.trim(), "the 64 B chunk went back to the OS");
            long fresh = cache.allocateAddress(4096); // a 64 KiB chunk of another class, on the released range
            assertEquals(freed, fresh, "carved where the released chunk was");
            MemorySegment block = allocator.segment(fresh, 4096);
            assertEquals(-1, block.mismatch(MemorySegment.ofArray(new byte[4096])), "fresh memory reads zeros");
            cache.freeAddress(fresh, 4096);
            cache.freeAddress(pin, 16);
        }
    }

    @Test
    void leakTrackingForgetsAFreedBlock() {
        AllocatorConfig tracked = AllocatorConfig.defaults().withLeakTracking(AllocatorConfig.LeakTracking.EVERY);
        try (NativeAllocator allocator = NativeAllocator.create(tracked)) {
            long kept = allocator.allocateAddress(64);
            long freed = allocator.allocateAddress(64);
            allocator.freeAddress(freed, 64);
            String report = allocator.leakReport();
            assertTrue(report.contains("1 blocks (64 bytes) still in use"), report);
            assertTrue(report.contains("block 0x" + Long.toHexString(kept)), report);
            assertFalse(report.contains("block 0x" + Long.toHexString(freed)), report);
            allocator.freeAddress(kept, 64);
            assertEquals("", allocator.leakReport());
        }
    }
}
