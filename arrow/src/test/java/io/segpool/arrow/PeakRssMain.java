package io.segpool.arrow;

import io.segpool.stats.MemStats;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.memory.AllocationManager;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The child JVM of {@link PeakRssTest}, arrow-java #950's case: batches of an int and a string
 * column held until 1 GiB of Arrow memory is allocated, all closed, the root closed, then VmRSS
 * read. Prints {@code key=value} lines: the RSS at start, at the peak and after close, in bytes.
 * {@code segpool} or {@code unsafe} picks the manager; the heap is fixed and pre-touched by the
 * parent's flags, so RSS moves with native memory only.
 */
public final class PeakRssMain {

    /** 16 Ki rows: 64 KiB of ints, 64 KiB of offsets, 256 KiB of strings, and the validity bits. */
    static final int ROWS = 16 << 10;
    static final long PEAK = 1L << 30;

    private PeakRssMain() {
    }

    /**
     * Runs one manager's case.
     *
     * @param args {@code segpool} or {@code unsafe}
     * @throws IOException if /proc/self/status cannot be read
     * @throws ReflectiveOperationException if Arrow's Unsafe manager is missing
     */
    public static void main(String[] args) throws IOException, ReflectiveOperationException {
        boolean segpool = args[0].equals("segpool");
        SegpoolArrow memory = segpool ? SegpoolArrow.create() : null;
        BufferAllocator root = segpool ? memory.newRootAllocator(Long.MAX_VALUE)
                : new RootAllocator(RootAllocator.configBuilder().allocationManagerFactory(unsafeFactory()).build());
        byte[] text = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
        round(root, text, 64 << 20); // compile the code paths and warm the allocator before the start reading
        if (segpool) {
            memory.trim(); // the warm round's free blocks must not count in the start reading
        }
        long start = rss();
        long peak = round(root, text, PEAK);
        root.close();
        long afterClose = rss();
        System.out.println("start=" + start);
        System.out.println("peak=" + peak);
        System.out.println("afterClose=" + afterClose);
        if (segpool) {
            MemStats stats = new MemStats();
            memory.readMemStats(stats);
            System.out.println("sys=" + stats.sys());
            System.out.println("released=" + stats.released());
            memory.close();
            System.out.println("afterUnmap=" + rss());
        }
    }

    /** Holds batches until {@code bytes} are allocated, returns the RSS then, and closes them all. */
    private static long round(BufferAllocator root, byte[] text, long bytes) throws IOException {
        List<VectorSchemaRoot> batches = new ArrayList<>();
        while (root.getAllocatedMemory() < bytes) {
            IntVector ids = new IntVector("id", root);
            VarCharVector names = new VarCharVector("name", root);
            ids.allocateNew(ROWS);
            names.allocateNew(ROWS * (long) text.length, ROWS);
            for (int i = 0; i < ROWS; i++) {
                ids.set(i, i);
                names.set(i, text);
            }
            VectorSchemaRoot batch = VectorSchemaRoot.of(ids, names);
            batch.setRowCount(ROWS);
            batches.add(batch);
        }
        long rss = rss();
        batches.forEach(VectorSchemaRoot::close);
        return rss;
    }

    /**
     * Arrow's Unsafe manager's factory, by name: its package is exported only to Arrow's memory
     * core, so the tests, compiled inside this module, cannot name it (they run on the class path).
     */
    private static AllocationManager.Factory unsafeFactory() throws ReflectiveOperationException {
        return (AllocationManager.Factory) Class.forName("org.apache.arrow.memory.unsafe.UnsafeAllocationManager")
                .getField("FACTORY").get(null);
    }

    static long rss() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) << 10;
            }
        }
        throw new IOException("no VmRSS line in /proc/self/status");
    }
}
