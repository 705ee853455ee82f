package io.segpool.allocator;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A wrong free of a class block is refused with the exception type and the exact message the
 * README promises: the address in hex, the size given, the block it hit (its start in hex, its
 * size), and MemStats unchanged. The blocks sit in an 80 B chunk that is not at the heap's start
 * and spans five 64 KiB grains, so the block a wrong address is traced back to is found across
 * grain boundaries; the 16 B class (whose states are bytes, not ints) is checked as well.
 */
@Timeout(60)
class RefusalMessageTest {

    private NativeAllocator allocator;
    /** Live 80 B blocks in address order, the first at the start of its chunk. */
    private long[] blocks;
    /** A live 16 B block. */
    private long small;

    @BeforeEach
    void setUp() {
        allocator = NativeAllocator.create();
        allocator.allocateAddress(64); // a chunk at the heap's start, so the 80 B chunk is not there
        blocks = new long[900];        // block 820 on is in the chunk's second grain
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = allocator.allocateAddress(80);
        }
        assertEquals(blocks[0] + 850 * 80, blocks[850]);
        small = allocator.allocateAddress(16);
    }

    @AfterEach
    void tearDown() {
        allocator.close();
    }

    private static String hex(long address) {
        return "0x" + Long.toHexString(address);
    }

    /** Runs {@code call}, expects {@code type} with exactly {@code message}, and MemStats unchanged. */
    private void refused(Class<? extends RuntimeException> type, String message, Executable call) {
        refused(allocator, type, message, call);
    }

    static void refused(NativeAllocator allocator, Class<? extends RuntimeException> type, String message,
                        Executable call) {
        MemStats before = TestSupport.stats(allocator);
        RuntimeException thrown = assertThrows(type, call);
        assertEquals(message, thrown.getMessage());
        assertEquals(before, TestSupport.stats(allocator), "a refused call changed MemStats");
    }

    private static String intoBlock(long address, long size, long into, long blockSize) {
        return "free: segment " + hex(address) + " (" + size + " bytes) starts " + into + " bytes into a " + blockSize
                + "-byte block at " + hex(address - into) + ": free the segment allocate returned, not a slice of it";
    }

    private static String wrongSize(long address, long size, long allocated) {
        return "free: segment " + hex(address) + " (" + size + " bytes) has " + size + " bytes but the block was"
                + " allocated with " + allocated + ": free the segment allocate returned, not a slice or a resized view";
    }

    private static String doubleFree(long address, long size, long blockSize) {
        return "free: segment " + hex(address) + " (" + size + " bytes) is a " + blockSize
                + "-byte block that is already free (double free)";
    }

    @Test
    void anInteriorAddressNamesTheBlockItIsInAndHowFarIn() {
        long b = blocks[850];
        // 16-byte aligned, with a size whose state code differs: the slow path's block-start check.
        refused(IllegalArgumentException.class, intoBlock(b + 16, 64, 16, 80), () -> allocator.freeAddress(b + 16, 64));
        // Block 819 starts in the chunk's first grain; 32 bytes in is in the second.
        long straddling = blocks[819];
        refused(IllegalArgumentException.class, intoBlock(straddling + 32, 64, 32, 80),
                () -> allocator.freeAddress(straddling + 32, 64));
        // Not 16-byte aligned: refused before any state is read.
        refused(IllegalArgumentException.class, intoBlock(b + 8, 80, 8, 80), () -> allocator.freeAddress(b + 8, 80));
        MemorySegment block = allocator.segment(b, 80);
        refused(IllegalArgumentException.class, intoBlock(b + 8, 72, 8, 80), () -> allocator.free(block.asSlice(8)));
        refused(IllegalArgumentException.class, intoBlock(small + 8, 16, 8, 16), () -> allocator.freeAddress(small + 8, 16));
        refused(IllegalArgumentException.class, "segment(" + hex(b + 16) + ", -1): the size is negative",
                () -> allocator.segment(b + 16, -1));
        allocator.freeAddress(b, 80); // the block itself still frees
        allocator.close();
        IllegalStateException closed = assertThrows(IllegalStateException.class, () -> allocator.segment(small, -1));
        assertEquals(Refusals.closed().getMessage(), closed.getMessage());
    }

    @Test
    void aWrongSizeNamesTheSizeTheBlockWasAllocatedWith() {
        long b = blocks[850];
        refused(IllegalArgumentException.class, wrongSize(b, 64, 80), () -> allocator.freeAddress(b, 64));
        long huge = 2L << 20; // above every class, at a class block's address
        refused(IllegalArgumentException.class, wrongSize(b, huge, 80), () -> allocator.freeAddress(b, huge));
        refused(IllegalArgumentException.class, wrongSize(small, 8, 16), () -> allocator.freeAddress(small, 8));
        allocator.freeAddress(b, 80);
        allocator.freeAddress(small, 16);
    }

    @Test
    void aDoubleFreeNamesTheBlockAndItsClass() {
        long b = blocks[851];
        allocator.freeAddress(b, 80);
        refused(IllegalStateException.class, doubleFree(b, 80, 80), () -> allocator.freeAddress(b, 80));
        allocator.freeAddress(small, 16);
        refused(IllegalStateException.class, doubleFree(small, 16, 16), () -> allocator.freeAddress(small, 16));
    }

    @Test
    void theSameRefusalsThroughAHeldCache() {
        forgetClosedAllocators();
        ThreadCache cache = allocator.threadCache();
        long b = blocks[850];
        refused(IllegalArgumentException.class, intoBlock(b + 16, 64, 16, 80), () -> cache.freeAddress(b + 16, 64));
        refused(IllegalArgumentException.class, wrongSize(b, 64, 80), () -> cache.freeAddress(b, 64));
        MemorySegment block = allocator.segment(b, 80);
        refused(IllegalArgumentException.class, intoBlock(b + 16, 64, 16, 80), () -> cache.free(block.asSlice(16)));
        cache.free(block);
        refused(IllegalStateException.class, doubleFree(b, 80, 80), () -> cache.freeAddress(b, 80));
        long top = allocator.heap.base + allocator.heap.topAcquire();
        refused(IllegalArgumentException.class, notFromHere(top, 80), () -> cache.freeAddress(top, 80));
        // A large block frees through the cache, by segment and by address.
        MemorySegment large = cache.allocate(3L << 20);
        long largeAddress = cache.allocateAddress(3L << 20);
        long inuse = TestSupport.stats(allocator).inuse();
        cache.free(large);
        cache.freeAddress(largeAddress, 3L << 20);
        assertEquals(inuse - 2 * LargeBlocks.spanBytes(3L << 20), TestSupport.stats(allocator).inuse());
    }

    /**
     * Collects allocators that were closed but are still registered as open: none are in a
     * correct build, but under mutation testing a mutant of {@code close()} leaves them in the
     * JVM's list, and a later allocator whose reservation reuses their address range would be
     * told "belongs to another NativeAllocator" instead of "not from this allocator". The list
     * holds them weakly, so a full collection drops them.
     */
    static void forgetClosedAllocators() {
        System.gc();
    }

    static String notFromHere(long address, long size) {
        return "free: segment " + hex(address) + " (" + size + " bytes) is not from this allocator: no block it handed"
                + " out holds that address (or the block was a large one, freed and unmapped)";
    }

    static String released(long address, long size) {
        return "free: segment " + hex(address) + " (" + size + " bytes) is in a chunk that trim() gave back to the"
                + " OS, where no block is handed out: a block freed twice, or an address that was never a block's";
    }

    /**
     * Released chunks at the heap's start and at its top, a live pin between: a free anywhere in
     * them is a double free into released memory, one at the top exactly is not from here.
     */
    @Test
    void releasedMemoryAndTheTopOfTheHeapAreToldApart() {
        forgetClosedAllocators();
        try (NativeAllocator fresh = NativeAllocator.create()) {
            ThreadCache cache = fresh.threadCache();
            long first = cache.allocateAddress(4096); // heap offset 0
            assertEquals(fresh.heap.base, first);
            long pin = cache.allocateAddress(64);
            long last = cache.allocateAddress(1024);
            cache.freeAddress(first, 4096);
            cache.freeAddress(last, 1024);
            cache.flush();
            assertEquals(2 * Heap.GRAIN, fresh.trim());
            long top = fresh.heap.base + fresh.heap.topAcquire();
            assertEquals(first + 3 * Heap.GRAIN, top);
            refused(fresh, IllegalStateException.class, released(first, 4096), () -> fresh.freeAddress(first, 4096));
            refused(fresh, IllegalStateException.class, released(first + 8, 4096), () -> fresh.freeAddress(first + 8, 4096));
            refused(fresh, IllegalStateException.class, released(top - 1024, 1024), () -> fresh.freeAddress(top - 1024, 1024));
            refused(fresh, IllegalArgumentException.class, notFromHere(top, 1024), () -> fresh.freeAddress(top, 1024));
            refused(fresh, IllegalArgumentException.class, notFromHere(top, 64), () -> fresh.freeAddress(top, 64));
            refused(fresh, IllegalArgumentException.class, notFromHere(top, 16), () -> fresh.freeAddress(top, 16));
            String noBlock = ": no block of this allocator that is handed out holds that address (free, never"
                    + " allocated, or from another allocator)";
            for (long address : new long[] {first, first + 16, first + 8, top - 64, top}) {
                for (long size : new long[] {0, 8}) {
                    refused(fresh, IllegalArgumentException.class, "segment(" + hex(address) + ", " + size + ")" + noBlock,
                            () -> fresh.segment(address, size));
                }
            }
            cache.freeAddress(pin, 64);
        }
    }
}
