package io.segpool.jmh.report;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The README's performance table: the rows the README quotes, from one run, each beside
 * {@code malloc} through a critical downcall in the same run where it is an allocator path, all
 * labelled with the run's CPU. {@link Readme} puts it between the README's markers. A row the
 * run did not measure (a narrow filter) is left out, not shown empty.
 */
final class Summary {

    /** One README row: the benchmark (class.method), the size param or null, and what the README calls it. */
    private record Line(String benchmark, String size, String name, boolean versusMalloc) {
    }

    private static final String MALLOC = "AllocatorBenchmark.mallocFreeCritical";

    private static final List<Line> LINES = List.of(
            new Line("AllocatorBenchmark.segpoolHeldCache", "64", "held `ThreadCache`, checks on", true),
            new Line("AllocatorBenchmark.segpoolHeldCacheUnchecked", "64", "held cache, `checkFrees=false`", true),
            new Line("AllocatorBenchmark.segpoolThreadLocal", "64", "`allocator.allocate/free` (finds the thread's cache)", true),
            new Line("AllocatorBenchmark.segpoolHeldAddress", "64", "`allocateAddress` + `segment` + `freeAddress`, held", true),
            new Line("AllocatorBenchmark.globalHeldCache", "64", "`NativeAllocator.global()`, held cache", true),
            new Line("AllocatorBenchmark.globalUnchecked", "64", "`global()`, held, `checkFrees=false`", true),
            new Line("AllocatorBenchmark.globalThreadLocal", "64", "`global()`, `allocate/free`", true),
            new Line("AllocatorBenchmark.globalAddress", "64", "`global()`, address + `segment` + free", true),
            new Line(MALLOC, "64", "`malloc`/`free`, critical downcall", false),
            new Line("AllocatorBenchmark.mallocFree", "64", "`malloc`/`free`, plain downcall", false),
            new Line("AllocatorBenchmark.segpoolZeroed", "64", "held cache, `withZeroed(true)`", false),
            new Line("AllocatorBenchmark.arenaConfined", "64", "`Arena.ofConfined()` allocate + close", false),
            new Line("PeersBenchmark.nettyAdaptiveTuned", "64", "Netty adaptive, leak detection off, `Unsafe` allowed", false),
            new Line("PeersBenchmark.nettyAdaptiveDefault", "64", "Netty adaptive, default", false),
            new Line("PeersBenchmark.nettyPooledTuned", "64", "Netty pooled, `useCacheForAllThreads`", false),
            new Line("PeersBenchmark.directByteBuffer", "64", "`ByteBuffer.allocateDirect`, freed by the GC", false),
            new Line("PeersBenchmark.chronicleNative", "64", "Chronicle Bytes native store + `releaseLast`", false),
            new Line("PeersBenchmark.arenaShared", "64", "`Arena.ofShared()` allocate + close", false),
            new Line("BatchBenchmark.batch16", "64", "16 pairs in one `allocateBatch`/`freeBatch` (per 16)", false),
            new Line("BatchBenchmark.singles16", "64", "16 single pairs (per 16)", false),
            new Line("StackGrowthBenchmark.stackGrowth", null, "`stackGrowth`, 10 frames of 1 KiB (per frame)", false),
            new Line("StackGrowthBenchmark.stackGrowthDeep", null, "`stackGrowthDeep`, 1024 frames (per frame)", false),
            new Line("StackGrowthBenchmark.stackEdge", null, "`stackEdge`, a frame across a segment edge", false),
            new Line("DeferBenchmark.defer", null, "`defer` (8-byte argument) + run", false),
            new Line("DeferBenchmark.deferLock", null, "`deferLock`: lock, defer the unlock, run", false),
            new Line("DeferBenchmark.noDeferLock", null, "`noDeferLock`: lock, unlock", false));

    /** The percentile rows, SampleTime benchmarks. */
    private static final List<String> TAILS = List.of("TailBenchmark.exchange40", "TailBenchmark.exchange40Malloc",
            "TailBenchmark.carvingRefill");

    private Summary() {
    }

    /** {@return the table in Markdown, the CPU label first; one thread, the sizes the README quotes} */
    static String table(List<Report.Row> rows, Machine machine) {
        StringBuilder md = new StringBuilder();
        md.append("Measured by `jmh/run-standard.sh` on **").append(machine.label()).append("**; one thread, ns per")
                .append(" operation (the median of the forks' means, JMH's error), from one run:\n\n");
        Optional<Report.Row> malloc = find(rows, MALLOC, "64");
        md.append("| path | ns (").append(machine.cpu()).append(") | ± | vs malloc critical | heap B/op |\n")
                .append("| --- | ---: | ---: | ---: | ---: |\n");
        for (Line line : LINES) {
            find(rows, line.benchmark(), line.size()).ifPresent(row -> md.append(String.format(Locale.ROOT,
                    "| %s | %s | %s | %s | %s |%n", line.name(), ns(row.score()), ns(zeroIfNaN(row.error())),
                    line.versusMalloc() && malloc.isPresent() ? ratio(malloc.get().score(), row.score()) : "",
                    Report.bytes(row.bytesPerOp()))));
        }
        List<Report.Row> tails = TAILS.stream().flatMap(name -> find(rows, name, null).stream()).toList();
        if (!tails.isEmpty()) {
            md.append("\nTails (`TailBenchmark`, JMH SampleTime, single calls, ").append(machine.cpu()).append("):\n\n");
            md.append(Report.percentileTable(tails));
        }
        return md.toString();
    }

    /** {@code malloc}'s time over the row's: above 1 the row is faster. */
    private static String ratio(double mallocNs, double rowNs) {
        double ratio = mallocNs / rowNs;
        return String.format(Locale.ROOT, ratio >= 1 ? "%.2f× faster" : "%.2f× (slower)", ratio);
    }

    /** A figure to one decimal below 100, else whole, with thousands separators: 7.7, 103, 42,850. */
    private static String ns(double value) {
        return String.format(Locale.ROOT, value < 100 ? "%.1f" : "%,.0f", value);
    }

    private static double zeroIfNaN(double value) {
        return Double.isNaN(value) ? 0.0 : value;
    }

    /** The one-thread row of {@code benchmark} with size {@code size}; null matches a row without one. */
    private static Optional<Report.Row> find(List<Report.Row> rows, String benchmark, String size) {
        return rows.stream().filter(r -> r.benchmark().equals(benchmark) && r.threads() == 1
                && java.util.Objects.equals(size, r.size())).findFirst();
    }
}
