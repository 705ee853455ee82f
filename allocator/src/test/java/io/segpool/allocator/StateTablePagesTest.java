package io.segpool.allocator;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A released chunk's block-state table pages go back to the OS with it: for each chunk that
 * {@code trim()} releases, the int and byte tables' sixteenth of it is released too, and the
 * process's resident set really falls back (before this, freeing 8,192 blocks of 64 KiB and
 * trimming left about 44 MiB of table pages resident, the Arrow adapter's measurement).
 */
class StateTablePagesTest {

    @Test
    void aReleasedChunkTakesItsTablePagesWithIt() {
        RecordingMapper mapper = new RecordingMapper();
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults(), mapper)) {
            long[] big = new long[600];
            long[] small = new long[6000];
            allocator.allocateBatch(4096, big, 0, big.length);
            allocator.allocateBatch(32, small, 0, small.length);
            allocator.freeBatch(4096, big, 0, big.length);
            allocator.freeBatch(32, small, 0, small.length);
            allocator.threadCache().flush();
            long trimmed = allocator.trim();
            assertTrue(trimmed > 0);
            Heap heap = allocator.heap;
            List<RecordingMapper.Range> released = mapper.released();
            long chunks = 0;
            for (RecordingMapper.Range range : released) {
                long offset = range.address() - heap.base;
                if (offset < heap.heapBytes) {
                    chunks += range.length();
                    long table = range.length() / 16;
                    assertTrue(released.contains(new RecordingMapper.Range(heap.base + heap.intTable + offset / 16, table)),
                            "the int table's pages of the chunk at " + offset);
                    assertTrue(released.contains(new RecordingMapper.Range(heap.base + heap.byteTable + offset / 16, table)),
                            "the byte table's pages of the chunk at " + offset);
                }
            }
            assertEquals(trimmed, chunks, "every chunk trim() reported released, and its tables with it");
            MemStats stats = TestSupport.stats(allocator);
            assertEquals(0, stats.inuse());
            TestSupport.assertConserved(stats);
            // The chunks are carved again and their tables read zeros (free): the blocks serve as before.
            allocator.allocateBatch(4096, big, 0, big.length);
            allocator.freeBatch(4096, big, 0, big.length);
        }
    }

    @Test
    void residentMemoryFallsBackAfterTrim() throws IOException {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            // 64 Ki blocks of 4 KiB: 256 MiB of blocks (one page each) and 16 MiB of int table touched.
            int count = 64 << 10;
            long[] blocks = new long[count];
            allocator.allocateBatch(4096, blocks, 0, count);
            for (long block : blocks) {
                allocator.segment(block, 4096).set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, block);
            }
            Heap heap = allocator.heap;
            long start = heap.base;
            long end = heap.base + heap.all.byteSize();
            long peak = residentIn(start, end);
            allocator.freeBatch(4096, blocks, 0, count);
            allocator.threadCache().flush();
            allocator.trim();
            long after = residentIn(start, end);
            assertTrue(peak >= (256L + 16) << 20, "the blocks and their table entries were resident: " + peak);
            assertTrue(after < 1L << 20, "after trim the reservation holds under 1 MiB resident (the 16 MiB of"
                    + " table pages went back with the chunks): peak " + peak + ", after " + after);
        }
    }

    /** Resident bytes of this process's mappings inside {@code [start, end)}, from /proc/self/smaps. */
    private static long residentIn(long start, long end) throws IOException {
        long total = 0;
        boolean inside = false;
        for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
            int dash = line.indexOf('-');
            int space = line.indexOf(' ');
            if (dash > 0 && space > dash && line.substring(0, dash).matches("[0-9a-f]+")) {
                long from = Long.parseUnsignedLong(line.substring(0, dash), 16);
                long to = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
                inside = from < end && to > start;
            } else if (inside && line.startsWith("Rss:")) {
                total += Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
            }
        }
        return total;
    }
}
