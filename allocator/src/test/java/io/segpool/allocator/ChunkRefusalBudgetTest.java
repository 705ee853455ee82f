package io.segpool.allocator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A class chunk refused on the last try (the OS refused the commit even after the trim, or the
 * reservation is used up) must give its bytes back to the memory limit, as a refused large block
 * does ({@link OsRefusalTest#aRefusalUnderAMemoryLimitGivesBackItsReservation}): a refusal changes
 * nothing, so refusals can never eat the limit away.
 *
 * <p>Fails on the code of 2026-12-03: {@code Heap.carve} reserves the chunk's length in the
 * budget, and when {@code grow} throws on the last try the {@code budget.give} after it is
 * skipped. Each refused request leaks one chunk of the limit for good; after limit / chunk of them
 * every request that needs a chunk is refused with {@link MemoryLimitException} though nothing is
 * mapped. Not in the PIT run (which needs a green suite) until the fix.
 */
@Timeout(60)
class ChunkRefusalBudgetTest {

    private static final long LIMIT = 1L << 20;
    private static final long SIZE = 4096;

    @Test
    void chunksTheOsRefusedGiveTheirBytesBackToTheLimit() {
        FailingMapper mapper = new FailingMapper();
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withMemoryLimit(LIMIT), mapper)) {
            ThreadCache cache = allocator.threadCache();
            mapper.failing(true);
            for (int i = 0; i < 3 * LIMIT / Heap.GRAIN; i++) { // three limits' worth of refused chunks
                OutOfMemoryError refused = assertThrows(OutOfMemoryError.class, () -> cache.allocateAddress(SIZE));
                assertSame(OutOfMemoryError.class, refused.getClass(), "refusal " + i + " blamed the limit: " + refused);
                assertTrue(refused.getMessage().contains("a new chunk of 4096-byte blocks needs a 65536-byte mapping"),
                        refused.getMessage());
            }
            mapper.failing(false);
            long[] blocks = new long[(int) (LIMIT / SIZE)];
            for (int i = 0; i < blocks.length; i++) {
                blocks[i] = cache.allocateAddress(SIZE); // the whole limit is still there
            }
            MemoryLimitException over = assertThrows(MemoryLimitException.class, () -> cache.allocateAddress(SIZE));
            assertEquals(LIMIT, over.resident());
            for (long block : blocks) {
                cache.freeAddress(block, SIZE);
            }
        }
    }

    @Test
    void theEndOfTheReservationOnTheLastTryChangesNothing() {
        MemoryBudget budget = new MemoryBudget("budget-test", AllocatorConfig.UNLIMITED);
        Heap heap = new Heap(OsMemory.INSTANCE, budget, 2 * Heap.GRAIN);
        try {
            heap.carve(SizeClasses.classOf(64), 2 * Heap.GRAIN, false);
            assertThrows(OutOfMemoryError.class, () -> heap.carve(SizeClasses.classOf(64), Heap.GRAIN, true));
            assertEquals(2 * Heap.GRAIN, budget.resident(), "the refused chunk stayed counted");
        } finally {
            heap.close();
        }
    }
}
