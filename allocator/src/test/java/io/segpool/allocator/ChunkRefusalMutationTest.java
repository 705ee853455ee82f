package io.segpool.allocator;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A class chunk that the memory limit refuses: the refusal first trims and the retry reuses what
 * the trim released; and a refusal names the class it was for (the large-block side is in
 * {@link MemoryLimitTest}; a chunk the OS refuses, in {@link ChunkRefusalBudgetTest}).
 */
@Timeout(60)
class ChunkRefusalMutationTest {

    private static final long LIMIT = 1L << 20;
    private static final long CHUNK = Heap.GRAIN;
    /** 4 KiB blocks: 16 to a 64 KiB chunk, so 256 of them fill the limit. */
    private static final long SIZE = 4096;
    private static final int FILL = (int) (LIMIT / SIZE);

    @Test
    void aChunkPastTheLimitTrimsAndTheRetryReusesWhatTheTrimReleased() {
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withMemoryLimit(LIMIT))) {
            ThreadCache cache = allocator.threadCache();
            long[] blocks = fill(cache);
            for (long block : blocks) {
                cache.freeAddress(block, SIZE);
            }
            cache.flush(); // every chunk wholly free on the central stack, none released
            MemStats full = TestSupport.stats(allocator);
            assertEquals(LIMIT, full.sys());
            assertEquals(0, full.released());

            long other = cache.allocateAddress(2048); // a class with no chunk: needs 64 KiB past the limit
            assertEquals(blocks[0], other, "the retry reuses the first released chunk");
            MemStats after = TestSupport.stats(allocator);
            assertEquals(LIMIT, after.sys(), "reused, not grown");
            assertEquals(LIMIT - CHUNK, after.released(), "the trim released every free chunk; one is in use again");
            assertEquals(CHUNK, TestSupport.resident(after));
            TestSupport.assertConserved(after);
            cache.freeAddress(other, 2048);
        }
    }

    @Test
    void aRefusalNamesTheSmallestClassItWasFor() {
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withMemoryLimit(LIMIT))) {
            ThreadCache cache = allocator.threadCache();
            long[] blocks = fill(cache);
            MemoryLimitException refused = assertThrows(MemoryLimitException.class, () -> cache.allocateAddress(16));
            assertEquals("allocate: a new chunk of 16-byte blocks needs 65536 more bytes mapped, but 1048576 bytes are"
                    + " resident (Sys - Released) and the memory limit is 1048576 bytes, even after trim(); free"
                    + " blocks, or raise AllocatorConfig.memoryLimit", refused.getMessage());
            assertEquals(CHUNK, refused.requested());
            for (long block : blocks) {
                cache.freeAddress(block, SIZE);
            }
        }
    }

    /** Fills the limit with 4 KiB blocks, in address order from the heap's start. */
    private static long[] fill(ThreadCache cache) {
        long[] blocks = new long[FILL];
        for (int i = 0; i < FILL; i++) {
            blocks[i] = cache.allocateAddress(SIZE);
        }
        return blocks;
    }
}
