package io.segpool.allocator;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17's reproduced defects that need no fault injection (items 6, 8 and 9) and the cases it
 * asked to check and decide: each test failed on the code before the fix.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TrustDefectsTest {

    /** Item 6: 8 x Long.MAX_VALUE overflowed, and the heap stopped at 1 GiB. */
    @Test
    void theLargestMemoryLimitServesMoreThanAGibibyteOfClassBlocks() {
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withMemoryLimit(Long.MAX_VALUE))) {
            List<Long> blocks = new ArrayList<>();
            for (int i = 0; i < 1100; i++) { // 1100 MiB of 1 MiB blocks, never touched
                blocks.add(allocator.allocateAddress(1 << 20));
            }
            assertTrue(TestSupport.stats(allocator).inuse() >= 1100L << 20);
            for (long block : blocks) {
                allocator.freeAddress(block, 1 << 20);
            }
        }
    }

    @Test
    void heapSizesNeverOverflow() {
        for (long limit : new long[] {64 << 10, 1L << 30, Heap.DEFAULT_HEAP / 8 - 1, Heap.DEFAULT_HEAP / 8,
                Long.MAX_VALUE / 8, Long.MAX_VALUE / 8 + 1, Long.MAX_VALUE}) {
            long heap = Heap.heapFor(limit);
            assertTrue(heap >= 1L << 30 && heap <= Heap.DEFAULT_HEAP, () -> "heapFor(" + limit + ") = " + heap);
        }
    }

    /** Item 8: a held cache with checks off handed out addresses of the unmapped heap after close. */
    @Test
    void aHeldUncheckedCacheRefusesAddressesAfterClose() {
        NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withCheckFrees(false));
        ThreadCache cache = allocator.threadCache();
        long a = cache.allocateAddress(64);
        long b = cache.allocateAddress(64);
        cache.freeAddress(a, 64);
        cache.freeAddress(b, 64); // the ring holds blocks: the next take is a ring hit
        allocator.close();
        assertThrows(IllegalStateException.class, () -> cache.allocateAddress(64));
        assertThrows(IllegalStateException.class, () -> allocator.allocateAddress(64));
        assertThrows(IllegalStateException.class, () -> cache.allocate(64).get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0));
    }

    /**
     * Unchecked mode promises no refusal of a wrong free, but never a block outside the committed
     * heap: a forged offset near its end was taken, and handed out later past it.
     */
    @Test
    void anUncheckedFreeNeverLetsABlockReachPastTheCommittedHeap() {
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withCheckFrees(false))) {
            long block = allocator.allocateAddress(64);
            long top = allocator.heap.topAcquire();
            long end = allocator.heap.base + top;
            assertThrows(IllegalArgumentException.class, () -> allocator.freeAddress(end - 16, 64));
            assertThrows(IllegalArgumentException.class, () -> allocator.freeAddress(end - 16, 1024));
            assertThrows(IllegalArgumentException.class, () -> allocator.freeAddress(end, 64));
            allocator.freeAddress(block, 64);
            for (int i = 0; i < 1000; i++) {
                long address = allocator.allocateAddress(64);
                assertTrue(address + 64 <= allocator.heap.base + allocator.heap.topAcquire());
            }
        }
    }

    /**
     * Found by the property test: a zero-length slice at the end of the heap's last block lies at
     * the committed top, and its free read the block-state table there, which is not committed:
     * SIGSEGV. Every segment free now checks the committed top first (a crash here fails the build).
     */
    @Test
    void aSliceAtTheCommittedTopIsRefusedNotACrash() {
        for (long size : new long[] {262144, 65536, 4096, 64, 48, 16}) {
            try (NativeAllocator allocator = NativeAllocator.create()) {
                MemorySegment block = allocator.allocate(size);
                MemorySegment atEnd = block.asSlice(size);
                // At the top it is no block of this allocator; elsewhere it is the next block's
                // start, free: refused as a double free. Either way refused, and no crash.
                for (Runnable free : new Runnable[] {() -> allocator.free(atEnd), () -> allocator.threadCache().free(atEnd)}) {
                    RuntimeException refused = assertThrows(RuntimeException.class, free::run);
                    assertTrue(refused instanceof IllegalArgumentException || refused.getMessage().contains("double free"),
                            refused::toString);
                }
                allocator.free(block);
                assertEquals(0, TestSupport.stats(allocator).inuse());
            }
        }
    }

    /** Found by the property test: with checks off, a block allocated with an alignment went onto its size's ring. */
    @Test
    void anUncheckedAlignedBlockGoesBackToItsOwnClass() {
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withCheckFrees(false))) {
            MemorySegment aligned = allocator.allocate(64, 128);
            allocator.free(aligned);
            MemStats stats = TestSupport.stats(allocator);
            assertEquals(0, stats.inuse(), stats::toString);
            assertEquals(1, stats.classFrees(SizeClasses.classOf(128)), "freed into the 128 B class");
            assertEquals(0, stats.classFrees(SizeClasses.classOf(64)), "not into the 64 B class");
            TestSupport.assertConserved(stats);
        }
    }

    /** Found by the property test: with checks off, a virtual thread's free after close was accepted. */
    @Test
    void anUncheckedFreeAfterCloseIsRefused() throws InterruptedException {
        NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withCheckFrees(false));
        long block = allocator.allocateAddress(64);
        allocator.close();
        Throwable[] refused = new Throwable[2];
        Thread thread = Thread.ofVirtual().start(() -> {
            try {
                allocator.freeAddress(block, 64);
            } catch (Throwable t) {
                refused[0] = t;
            }
            try {
                allocator.allocateAddress(64);
            } catch (Throwable t) {
                refused[1] = t;
            }
        });
        thread.join(30_000);
        assertTrue(refused[0] instanceof IllegalStateException, () -> "free after close: " + refused[0]);
        assertTrue(refused[1] instanceof IllegalStateException, () -> "allocate after close: " + refused[1]);
    }

    /** Item 9: blocks reclaimed from ended threads' rings went to Central past the cached-bytes limit. */
    @Test
    void reclaimedRingsHonourTheCachedBytesLimit() throws InterruptedException {
        long limit = 8 << 20;
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withCachedBytesLimit(limit))) {
            Thread[] threads = new Thread[4];
            for (int t = 0; t < threads.length; t++) {
                threads[t] = Thread.ofPlatform().start(() -> fillRings(allocator));
            }
            for (Thread thread : threads) {
                thread.join(60_000);
                assertFalse(thread.isAlive());
            }
            MemStats stats = TestSupport.stats(allocator); // reclaims the ended threads' caches
            assertEquals(0, stats.cached(), "ended threads' rings were not reclaimed");
            assertTrue(stats.central() <= limit, () -> "Central " + stats.central() + " > limit " + limit);
            TestSupport.assertConserved(stats);
        }
    }

    /** Item 9: blocks pushed by flush() went to Central past the cached-bytes limit. */
    @Test
    void flushHonoursTheCachedBytesLimit() {
        long limit = 2 << 20;
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withCachedBytesLimit(limit))) {
            ThreadCache cache = allocator.threadCache();
            fillRings(allocator);
            assertTrue(TestSupport.stats(allocator).cached() > limit, "the rings should hold more than the limit");
            cache.flush();
            MemStats stats = TestSupport.stats(allocator);
            assertTrue(stats.central() <= limit, () -> "Central " + stats.central() + " > limit " + limit);
            TestSupport.assertConserved(stats);
        }
    }

    /** Allocates and frees a full ring's worth in 28 classes of 8 KiB and up: about 7 MiB left in the rings. */
    private static void fillRings(NativeAllocator allocator) {
        int classes = 0;
        for (int c = 0; c < SizeClasses.count() && classes < 28; c++) {
            long size = SizeClasses.size(c);
            if (size < 8192) {
                continue;
            }
            classes++;
            int n = SizeClasses.ringCapacity(c);
            long[] blocks = new long[n];
            for (int i = 0; i < n; i++) {
                blocks[i] = allocator.allocateAddress(size);
            }
            for (int i = 0; i < n; i++) {
                allocator.freeAddress(blocks[i], size);
            }
        }
    }

    /** Decided: a closed user Arena's segment is not this allocator's block: IllegalArgumentException. */
    @Test
    void aClosedArenasSegmentIsRefusedAsForeign() {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            MemorySegment stale;
            try (Arena arena = Arena.ofConfined()) {
                stale = arena.allocate(64);
            }
            MemorySegment closedSegment = stale;
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> allocator.free(closedSegment));
            assertTrue(refused.getMessage().contains("0x" + Long.toHexString(closedSegment.address())), refused.getMessage());
            MemorySegment shared;
            try (Arena arena = Arena.ofShared()) {
                shared = arena.allocate(3 << 20);
            }
            MemorySegment closedLarge = shared;
            assertThrows(IllegalArgumentException.class, () -> allocator.free(closedLarge));
        }
    }

    /** Decided: an address in a chunk that trim() released is refused without calling it a double free. */
    @Test
    void aForgedAddressInAReleasedChunkIsNotCalledADoubleFree() {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            ThreadCache cache = allocator.threadCache();
            long block = cache.allocateAddress(4096);
            cache.freeAddress(block, 4096);
            cache.flush();
            assertTrue(allocator.trim() > 0);
            IllegalStateException refused = assertThrows(IllegalStateException.class,
                    () -> allocator.freeAddress(block + 4096, 4096));
            assertFalse(refused.getMessage().contains("(double free)"), refused.getMessage());
            assertTrue(refused.getMessage().contains("gave back to the OS"), refused.getMessage());
        }
    }
}
