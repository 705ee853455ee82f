package io.segpool.integration;

import io.segpool.arrow.SegpoolArrow;
import io.segpool.stats.MemStats;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.memory.unsafe.UnsafeAllocationManager;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One manager's run of {@code ./segpool arrow}, in a JVM of its own ({@link ArrowCommand} forks it):
 * arrow-java #950's case, then a batch churn. Prints {@code key=value} lines for the parent.
 *
 * <p>#950: batches of an int and a 16-byte string column are held until the peak of Arrow memory
 * is allocated, all closed, the root closed, then VmRSS is read: at the start (after an unmeasured
 * round that compiles the code and warms the manager, and a trim), at the peak, after the close,
 * and after a trim where there is one: segpool's root close already trims, {@code trim()} is
 * called again to show nothing is left to give; Arrow's Unsafe manager has none, so glibc's
 * {@code malloc_trim(0)} stands in (not the manager's, and not something Arrow calls), before the
 * start reading as after the close. For segpool the factory is then closed and the RSS read once
 * more: the difference is what segpool itself still held after its trim; then once more after
 * glibc's trim, which gives back what glibc kept of the JVM's own mallocs. The churn then builds
 * and closes batches on one thread, as a reader or query engine does, on a fresh factory.
 */
final class ArrowRun {

    static final byte[] TEXT = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private ArrowRun() {
    }

    /**
     * Runs one manager.
     *
     * @param args manager ({@code segpool} or {@code unsafe}), peak bytes, rows per held batch,
     *        churn rows per batch, churn warm-up seconds, churn seconds
     * @throws Throwable if a reading or the downcall fails; the parent shows the trace
     */
    public static void main(String[] args) throws Throwable {
        boolean segpool = args[0].equals("segpool");
        long peakBytes = Long.parseLong(args[1]);
        int rows = Integer.parseInt(args[2]);
        int churnRows = Integer.parseInt(args[3]);
        double warmup = Double.parseDouble(args[4]);
        double seconds = Double.parseDouble(args[5]);
        SegpoolArrow memory = segpool ? SegpoolArrow.create() : null;
        BufferAllocator root = newRoot(memory);
        hold(root, rows, Math.min(peakBytes, 64L << 20)); // compile and warm, outside the readings
        trim(memory); // the warm round's free memory must not count in the start reading
        long start = rss();
        long peak = hold(root, rows, peakBytes);
        root.close();
        long afterClose = rss();
        trim(memory);
        long afterTrim = rss();
        print("start", start);
        print("peak", peak);
        print("afterClose", afterClose);
        print("afterTrim", afterTrim);
        if (segpool) {
            // What segpool itself still holds after the trim: the RSS that unmapping it gives back.
            memory.close();
            print("afterUnmap", rss());
            mallocTrim(); // and what glibc kept of the JVM's own mallocs (JIT arenas and the like)
            print("afterMallocTrim", rss());
            memory = SegpoolArrow.create(); // a fresh factory for the churn
        }
        BufferAllocator churnRoot = newRoot(memory);
        churn(churnRoot, churnRows, warmup);
        long[] done = churn(churnRoot, churnRows, seconds);
        churnRoot.close();
        print("batches", done[0]);
        print("nanos", done[1]);
        if (segpool) {
            MemStats stats = new MemStats();
            memory.readMemStats(stats);
            print("inuse", stats.inuse());
            print("conserved", stats.sys() == stats.inuse() + stats.cached() + stats.central() + stats.released() ? 1 : 0);
            print("live", memory.liveBuffers());
            memory.close();
        }
    }

    private static BufferAllocator newRoot(SegpoolArrow memory) {
        return memory != null ? memory.newRootAllocator(Long.MAX_VALUE)
                : new RootAllocator(RootAllocator.configBuilder().allocationManagerFactory(UnsafeAllocationManager.FACTORY).build());
    }

    private static void print(String key, long value) {
        System.out.println(key + "=" + value);
    }

    /** Holds batches until {@code bytes} are allocated, returns the RSS then, and closes them all. */
    static long hold(BufferAllocator root, int rows, long bytes) throws IOException {
        List<VectorSchemaRoot> batches = new ArrayList<>();
        while (root.getAllocatedMemory() < bytes) {
            batches.add(batch(root, rows));
        }
        long rss = rss();
        batches.forEach(VectorSchemaRoot::close);
        return rss;
    }

    /** Builds and closes batches for {@code seconds}; returns the batches and the nanoseconds taken. */
    static long[] churn(BufferAllocator root, int rows, double seconds) {
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        long batches = 0;
        long now;
        do {
            try (VectorSchemaRoot batch = batch(root, rows)) {
                if (((IntVector) batch.getVector(0)).get(rows - 1) != rows - 1) {
                    throw new IllegalStateException("a batch lost its last row");
                }
            }
            batches++;
            now = System.nanoTime();
        } while (now < end);
        return new long[] {batches, now - start};
    }

    /** One batch, sized up front, every row set. */
    static VectorSchemaRoot batch(BufferAllocator root, int rows) {
        IntVector ids = new IntVector("id", root);
        VarCharVector names = new VarCharVector("name", root);
        VectorSchemaRoot batch = VectorSchemaRoot.of(ids, names);
        ids.allocateNew(rows);
        names.allocateNew(rows * (long) TEXT.length, rows);
        for (int i = 0; i < rows; i++) {
            ids.set(i, i);
            names.set(i, TEXT);
        }
        batch.setRowCount(rows);
        return batch;
    }

    /** segpool's trim, or for Arrow's Unsafe manager, which has none, glibc's. */
    private static void trim(SegpoolArrow memory) throws Throwable {
        if (memory != null) {
            memory.trim();
        } else {
            mallocTrim();
        }
    }

    /** glibc's {@code malloc_trim(0)}: what a user of the Unsafe manager can do, as Arrow does not. */
    private static void mallocTrim() throws Throwable {
        Linker linker = Linker.nativeLinker();
        var symbol = linker.defaultLookup().find("malloc_trim");
        if (symbol.isPresent()) {
            MethodHandle trim = linker.downcallHandle(symbol.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
            int unused = (int) trim.invokeExact(0L);
        }
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
