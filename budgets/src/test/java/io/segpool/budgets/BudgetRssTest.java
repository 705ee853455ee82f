package io.segpool.budgets;

import io.segpool.allocator.NativeAllocator;
import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The arrow-java #950 case: a query budget fills 1 GiB (every page written, half in 256 KiB class
 * blocks, half in 4 MiB large blocks), closes, and the allocator trims: the process's resident
 * memory ({@code VmRSS} in {@code /proc/self/status}) must come back within 64 MiB of where it
 * started, since a closed budget's blocks go back to the shared pool at once and trim gives the
 * pool's free memory to the OS.
 */
@Timeout(60)
class BudgetRssTest {

    private static final long GIB = 1L << 30;
    private static final long SLACK = 64L << 20;

    static long vmRssBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                String[] parts = line.trim().split("\\s+");
                return Long.parseLong(parts[1]) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    @Test
    void aClosedGibibyteQueryGivesItsMemoryBack() throws IOException {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            Budget root = Budget.root(allocator, "db", 2 * GIB);
            long start = vmRssBytes();
            Budget query = root.newChild("query-950", 0, GIB);
            List<MemorySegment> blocks = new ArrayList<>();
            long filled = 0;
            while (filled < GIB / 2) {
                MemorySegment s = query.allocate(256 << 10);
                touch(s);
                blocks.add(s);
                filled += s.byteSize();
            }
            while (true) {
                MemorySegment s;
                try {
                    s = query.allocate(4 << 20);
                } catch (BudgetLimitException full) {
                    break;
                }
                touch(s);
                blocks.add(s);
                filled += s.byteSize();
            }
            long peak = vmRssBytes();
            assertTrue(filled > GIB - (8 << 20), "filled " + filled);
            assertTrue(peak - start > GIB * 9 / 10, "the pages were resident: " + (peak - start));
            for (MemorySegment s : blocks) {
                query.free(s);
            }
            query.close();
            assertEquals(0, root.used());
            allocator.trim();
            long after = vmRssBytes();
            MemStats stats = new MemStats();
            allocator.readMemStats(stats);
            assertTrue(after - start < SLACK, "VmRSS start " + mib(start) + ", peak " + mib(peak) + ", after trim "
                    + mib(after) + " (Sys " + mib(stats.sys()) + ", Released " + mib(stats.released()) + ")");
            root.close();
        }
    }

    private static void touch(MemorySegment s) {
        for (long off = 0; off < s.byteSize(); off += 4096) {
            s.set(ValueLayout.JAVA_BYTE, off, (byte) 1);
        }
    }

    private static String mib(long bytes) {
        return (bytes >> 20) + " MiB";
    }
}
