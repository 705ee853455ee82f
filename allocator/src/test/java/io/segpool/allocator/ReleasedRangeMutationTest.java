package io.segpool.allocator;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Chunks that {@code trim()} released are carved again before the heap grows: adjacent released
 * chunks merge into one range on both sides, a chunk of exactly a range's length takes it whole,
 * and a shorter one takes its start and leaves the rest for the next. All seen from outside: the
 * addresses handed out again, and {@code Sys} and {@code Released} in MemStats.
 *
 * <p>The layout, in carve order: a live 64 B pin at the heap's start, then one chunk each of the
 * 1 KiB, 4 KiB and 2 KiB classes (64 KiB each), then a live 512 B pin. Trim releases the three
 * middle chunks class by class (1 KiB, 2 KiB, then 4 KiB, which sits between the two and must
 * merge with both), leaving one 192 KiB range between the pins.
 */
@Timeout(60)
class ReleasedRangeMutationTest {

    private static final long CHUNK = Heap.GRAIN;
    private NativeAllocator allocator;
    private ThreadCache cache;
    /** The first block of the 1 KiB chunk: where the released range starts. */
    private long rangeStart;

    @BeforeEach
    void layOut() {
        allocator = NativeAllocator.create();
        cache = allocator.threadCache();
        long pin = cache.allocateAddress(64);
        List<long[]> middle = new ArrayList<>();
        for (long size : new long[] {1024, 4096, 2048}) {
            middle.add(allocateChunk(size));
        }
        long lastPin = cache.allocateAddress(512);
        rangeStart = middle.getFirst()[0];
        assertEquals(pin + CHUNK, rangeStart, "the 1 KiB chunk follows the pin's");
        assertEquals(rangeStart + CHUNK, middle.get(1)[0]);
        assertEquals(rangeStart + 2 * CHUNK, middle.get(2)[0]);
        assertEquals(rangeStart + 3 * CHUNK, lastPin);
        long[] sizes = {1024, 4096, 2048};
        for (int i = 0; i < sizes.length; i++) {
            for (long block : middle.get(i)) {
                cache.freeAddress(block, sizes[i]);
            }
        }
        cache.flush();
        assertEquals(3 * CHUNK, allocator.trim(), "the three middle chunks were wholly free");
        MemStats stats = TestSupport.stats(allocator);
        assertEquals(5 * CHUNK, stats.sys());
        assertEquals(3 * CHUNK, stats.released());
        // The chunks on either side of the range are untouched by its release.
        assertEquals(64, allocator.segment(pin, 64).byteSize());
        assertEquals(512, allocator.segment(lastPin, 512).byteSize());
        cache.freeAddress(lastPin, 512);
        assertEquals(lastPin, cache.allocateAddress(512));
    }

    @AfterEach
    void close() {
        allocator.close();
    }

    /** Every block of one 64 KiB chunk of {@code size}-byte blocks, in address order. */
    private long[] allocateChunk(long size) {
        long[] blocks = new long[(int) (CHUNK / size)];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = cache.allocateAddress(size);
            if (i > 0) {
                assertEquals(blocks[i - 1] + size, blocks[i], "blocks of a fresh chunk come in address order");
            }
        }
        return blocks;
    }

    @Test
    void aChunkOfExactlyTheMergedLengthTakesTheWholeRange() {
        long whole = 3 * CHUNK; // the 192 KiB class: one block per chunk
        assertEquals(whole, NativeAllocator.blockSize(whole));
        long block = cache.allocateAddress(whole);
        assertEquals(rangeStart, block, "the merged range is carved again from its start");
        MemStats stats = TestSupport.stats(allocator);
        assertEquals(5 * CHUNK, stats.sys(), "no fresh heap for a chunk that fits the released range");
        assertEquals(0, stats.released());
        // Nothing is left released: the next chunk is fresh heap, after the last pin.
        long next = cache.allocateAddress(256);
        assertEquals(rangeStart + 4 * CHUNK, next);
        assertEquals(6 * CHUNK, TestSupport.stats(allocator).sys());
        TestSupport.assertConserved(TestSupport.stats(allocator));
        cache.freeAddress(block, whole);
        cache.freeAddress(next, 256);
    }

    @Test
    void shorterChunksSplitTheRangeAndTakeItInOrder() {
        long first = cache.allocateAddress(256); // a 64 KiB chunk: the range's first third
        assertEquals(rangeStart, first);
        MemStats stats = TestSupport.stats(allocator);
        assertEquals(5 * CHUNK, stats.sys());
        assertEquals(2 * CHUNK, stats.released(), "the rest of the range stays released");
        long second = cache.allocateAddress(8192); // a 128 KiB chunk: exactly the rest
        assertEquals(rangeStart + CHUNK, second);
        stats = TestSupport.stats(allocator);
        assertEquals(5 * CHUNK, stats.sys());
        assertEquals(0, stats.released());
        TestSupport.assertConserved(stats);
        cache.freeAddress(first, 256);
        cache.freeAddress(second, 8192);
    }

    @Test
    void aChunkLongerThanEveryRangeGrowsTheHeap() {
        long big = cache.allocateAddress(4 * CHUNK); // the 256 KiB class: longer than the 192 KiB range
        assertEquals(rangeStart + 4 * CHUNK, big, "fresh heap after the last pin");
        MemStats stats = TestSupport.stats(allocator);
        assertEquals(9 * CHUNK, stats.sys());
        assertEquals(3 * CHUNK, stats.released(), "the released range stays for a chunk it fits");
        cache.freeAddress(big, 4 * CHUNK);
    }
}
