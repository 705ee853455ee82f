package io.segpool.allocator;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.time.Duration;

import static io.segpool.allocator.RefusalMessageTest.refused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Large blocks at their edges: views by address end at the size the block was handed out with
 * (not the longer mapping); wrong frees of a large block are refused with the block named; a
 * cached span is reused only for an alignment its address satisfies; a zero-byte large block
 * (a request aligned beyond a chunk) is a block like any other; and a freed span is stamped with
 * its free time only where the background release will read it.
 */
@Timeout(60)
class LargeBlockMutationTest {

    private static final long SIZE = (3L << 20) + 8;
    private static final long SPAN = LargeBlocks.spanBytes(SIZE);
    private NativeAllocator allocator;

    @BeforeEach
    void setUp() {
        allocator = NativeAllocator.create();
    }

    @AfterEach
    void tearDown() {
        allocator.close();
    }

    private static String hex(long address) {
        return "0x" + Long.toHexString(address);
    }

    private static String pastTheBlock(long address, long size, long blockSize, long start) {
        return "segment(" + hex(address) + ", " + size + "): the view must lie inside one block, and the block at "
                + hex(start) + " holds " + blockSize + " bytes, which end " + (start + blockSize - address)
                + " bytes after the address";
    }

    @Test
    void aViewOfALargeBlockEndsWhereItsHandedOutSizeEnds() {
        long base = allocator.allocateAddress(SIZE);
        assertTrue(SPAN > SIZE, "the mapping is longer than the block");
        assertEquals(SIZE, allocator.segment(base, SIZE).byteSize());
        assertEquals(base + SIZE - 8, allocator.segment(base + SIZE - 8, 8).address());
        assertEquals(0, allocator.segment(base + SIZE, 0).byteSize());
        refused(allocator, IllegalArgumentException.class, pastTheBlock(base + SIZE - 8, 9, SIZE, base),
                () -> allocator.segment(base + SIZE - 8, 9));
        refused(allocator, IllegalArgumentException.class, pastTheBlock(base, SIZE + 1, SIZE, base),
                () -> allocator.segment(base, SIZE + 1));
        refused(allocator, IllegalArgumentException.class, "segment(" + hex(base + 64) + ", -1): the size is negative",
                () -> allocator.segment(base + 64, -1));
        allocator.freeAddress(base, SIZE);
        refused(allocator, IllegalArgumentException.class, "segment(" + hex(base) + ", 8): no block of this allocator"
                + " that is handed out holds that address (free, never allocated, or from another allocator)",
                () -> allocator.segment(base, 8));
    }

    @Test
    void aZeroByteLargeBlockIsViewedAndFreedAsAnyOther() {
        long alignment = 2 * SizeClasses.CHUNK_ALIGNMENT; // beyond every class: a large block
        MemorySegment empty = allocator.allocate(0, alignment);
        long base = empty.address();
        assertEquals(0, base % alignment);
        assertEquals(0, allocator.segment(base, 0).byteSize());
        refused(allocator, IllegalArgumentException.class, pastTheBlock(base, 1, 0, base), () -> allocator.segment(base, 1));
        long inuse = TestSupport.stats(allocator).inuse();
        allocator.free(empty);
        assertEquals(inuse - LargeBlocks.spanBytes(0), TestSupport.stats(allocator).inuse());
    }

    @Test
    void wrongFreesOfALargeBlockNameTheBlock() {
        RefusalMessageTest.forgetClosedAllocators();
        MemorySegment block = allocator.allocate(SIZE);
        long base = block.address();
        String into = "free: segment " + hex(base + 65536) + " (" + SIZE + " bytes) starts 65536 bytes into a " + SPAN
                + "-byte block at " + hex(base) + ": free the segment allocate returned, not a slice of it";
        refused(allocator, IllegalArgumentException.class, into, () -> allocator.freeAddress(base + 65536, SIZE));
        refused(allocator, IllegalArgumentException.class, "free: segment " + hex(base) + " (" + (SIZE - 8) + " bytes) has "
                + (SIZE - 8) + " bytes but the block was allocated with " + SIZE
                + ": free the segment allocate returned, not a slice or a resized view",
                () -> allocator.freeAddress(base, SIZE - 8));
        allocator.free(block);
        String twice = "free: segment " + hex(base) + " (" + SIZE + " bytes) is a " + SPAN
                + "-byte block that is already free (double free)";
        refused(allocator, IllegalStateException.class, twice, () -> allocator.free(block));
        refused(allocator, IllegalStateException.class, twice, () -> allocator.freeAddress(base, SIZE));
        allocator.trim(); // the cached span is unmapped: its segment is dead, its address no one's
        refused(allocator, IllegalArgumentException.class, "free: segment " + hex(base) + " (" + SIZE + " bytes) has a"
                + " closed scope, so it is no live block of this allocator: an Arena's segment after its close, a"
                + " large block already freed and unmapped, or a block of an allocator that closed",
                () -> allocator.free(block));
        refused(allocator, IllegalArgumentException.class, RefusalMessageTest.notFromHere(base, SIZE),
                () -> allocator.freeAddress(base, SIZE));
    }

    @Test
    void anotherAllocatorsLargeBlockIsSentBackThere() {
        try (NativeAllocator other = NativeAllocator.create()) {
            MemorySegment theirs = other.allocate(2L << 20);
            String message = "free: segment " + hex(theirs.address()) + " (2097152 bytes) belongs to another"
                    + " NativeAllocator; free it there";
            refused(allocator, IllegalArgumentException.class, message, () -> allocator.free(theirs));
            refused(allocator, IllegalArgumentException.class, message,
                    () -> allocator.freeAddress(theirs.address(), 2L << 20));
            other.free(theirs);
        }
    }

    @Test
    void aForgedSegmentIsTheHeapsOnlyInsideTheHeap() {
        RefusalMessageTest.forgetClosedAllocators();
        long base = allocator.heap.base;
        long size = 64;
        MemorySegment atStart = MemorySegment.ofAddress(base).reinterpret(size);
        refused(allocator, IllegalArgumentException.class, "free: segment " + hex(base) + " (64 bytes) lies in this"
                + " allocator's heap but has another scope: it was not returned by this allocator"
                + " (MemorySegment.ofAddress or reinterpret made it); free the segment allocate returned",
                () -> allocator.free(atStart));
        long pastHeap = base + allocator.heap.heapBytes; // the state tables: no block there
        MemorySegment atEnd = MemorySegment.ofAddress(pastHeap).reinterpret(size);
        refused(allocator, IllegalArgumentException.class, RefusalMessageTest.notFromHere(pastHeap, size),
                () -> allocator.free(atEnd));
    }

    /**
     * A freed span at an address with its lowest set bit at p is asked for with an alignment of
     * 2^k, k the first bit above p that the address has clear: the span does not satisfy it, and a
     * test of bit k alone would say it does.
     */
    @Test
    void aCachedSpanIsReusedOnlyForAnAlignmentItsAddressHas() {
        long size = 2L << 20;
        long first = allocator.allocateAddress(size);
        allocator.freeAddress(first, size);
        MemStats cached = TestSupport.stats(allocator);
        assertEquals(0, cached.inuse());
        assertEquals(size, cached.central(), "a free span counts in Central");
        assertEquals(first, allocator.allocateAddress(size), "the cached span serves the same request");
        MemStats reused = TestSupport.stats(allocator);
        assertEquals(size, reused.inuse());
        assertEquals(0, reused.central());
        assertEquals(2, reused.mallocs());
        assertEquals(1, reused.frees());
        TestSupport.assertConserved(reused);
        allocator.freeAddress(first, size);
        int k = Long.numberOfTrailingZeros(first) + 1;
        while ((first & (1L << k)) != 0) {
            k++;
        }
        long alignment = 1L << k;
        assertTrue(alignment <= NativeAllocator.MAX_ALIGNMENT, "address 0x" + Long.toHexString(first));
        long aligned = allocator.allocate(size, alignment).address();
        assertEquals(0, aligned % alignment, "0x" + Long.toHexString(aligned) + " for an alignment of " + alignment);
        assertNotEquals(first, aligned);
        allocator.freeAddress(aligned, size);
    }

    @Test
    void aFreedSpanIsStampedWhenTheBackgroundReleaseWillReadIt() {
        try (NativeAllocator timed = NativeAllocator.create(AllocatorConfig.defaults().withReleaseAfter(Duration.ofHours(1)))) {
            long before = System.nanoTime();
            timed.freeAddress(timed.allocateAddress(SIZE), SIZE);
            assertEquals(0, timed.large.releaseIdle(before), "freed after the cut-off: not idle");
            assertEquals(SPAN, timed.large.cachedBytes());
            assertEquals(SPAN, timed.large.releaseIdle(System.nanoTime() + 1), "freed before the cut-off: idle");
            assertEquals(0, timed.large.cachedBytes());
        }
    }
}
