package io.segpool.jmh;

import io.segpool.allocator.NativeAllocator;
import io.segpool.allocator.ThreadCache;
import io.segpool.stats.MemStats;
import org.HdrHistogram.Histogram;

import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;

/**
 * How long a refill of a class waits while {@code trim()} gives that class's memory back: issue
 * 11 asks that "a refill of the class being trimmed must not wait for the OS calls". Each round
 * fills 1 GiB of 64 KiB blocks (touching every page, so the trim's {@code madvise} calls have
 * work), frees them all and flushes the thread's ring, so that the 1 GiB sits on the class's
 * central stack. Then a second thread loops over bursts of 8 allocations and 8 frees of the same
 * class through its held cache; the ring holds 4 blocks of that class and moves 2 per batch, so
 * every burst refills and spills. Each allocation that crosses a refill, and each free that
 * crosses a spill, is timed with {@code System.nanoTime()}. First for 300 ms with nothing else
 * running (the baseline), then while this thread runs {@code trim()} (only calls that begin during
 * the trim are recorded). Which calls cross a refill is worked out from the ring's capacity and
 * batch (as MemStats states them) and checked against the class's refill and spill counters.
 *
 * <pre>java --enable-native-access=ALL-UNNAMED -cp jmh/target/benchmarks.jar io.segpool.jmh.TrimLatencyHarness [rounds]</pre>
 *
 * <p>Measured on the project's 2-core VM, 5 rounds, load average below 1.5, under
 * {@code flock /tmp/bench.lock}. Before 89bd4e7 (trim held the class lock across every madvise):
 * trims of 1.10 to 1.31 s; 1,044 refills in 5.82 s of trimming (179/s against 1.8 million/s with
 * no trim), p50 0.0 us, p99 0.1 us (the refills before the trim reached the class), p99.9
 * 1,118,831 us, max 1,183,842 us: the refill that met the trim waited for all of it. After 89bd4e7
 * (the lock only over the sort and sweep): trims of 1.73 to 1.96 s (the refiller now runs beside
 * them on the two cores); 9.7 million refills in 9.07 s of trimming (1.07 million/s), p50 0.1 us,
 * p99 0.1 us, p99.9 0.7 us, max 19.4 ms; baseline p99 0.1 us, max 0.25 ms.
 */
public final class TrimLatencyHarness {

    private static final long SIZE = 64 << 10;
    private static final long TOTAL = 1L << 30;
    private static final int BURST = 8;
    private static final long BASELINE_NANOS = 300_000_000L;
    private static final long PAGE = 4096;

    private TrimLatencyHarness() {
    }

    public static void main(String[] args) throws InterruptedException {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        try (NativeAllocator allocator = NativeAllocator.create()) {
            MemStats stats = new MemStats();
            allocator.readMemStats(stats);
            int sizeClass = classOf(stats, SIZE);
            int capacity = stats.classRingCapacity(sizeClass);
            int batch = stats.classBatch(sizeClass);
            Histogram baseRefill = histogram();
            Histogram baseSpill = histogram();
            Histogram trimRefill = histogram();
            Histogram trimSpill = histogram();
            long[] trimNanos = new long[rounds];
            long[] trimBytes = new long[rounds];
            for (int round = 0; round < rounds; round++) {
                fill(allocator);
                measure(allocator, sizeClass, capacity, batch, false, baseRefill, baseSpill, null);
                long[] trim = new long[2];
                measure(allocator, sizeClass, capacity, batch, true, trimRefill, trimSpill, trim);
                trimNanos[round] = trim[0];
                trimBytes[round] = trim[1];
            }
            System.out.printf(Locale.ROOT, "trim of 1 GiB of %d KiB blocks (ring %d blocks, batch %d), %d rounds%n",
                    SIZE >> 10, capacity, batch, rounds);
            System.out.printf(Locale.ROOT, "trim duration: %s ms; released %s MiB%n",
                    Arrays.toString(Arrays.stream(trimNanos).mapToObj(n -> String.format(Locale.ROOT, "%.1f", n / 1e6)).toArray()),
                    Arrays.toString(Arrays.stream(trimBytes).map(b -> b >> 20).toArray()));
            print("refill, no trim (baseline)", baseRefill);
            print("refill, during the trim   ", trimRefill);
            print("spill,  no trim (baseline)", baseSpill);
            print("spill,  during the trim   ", trimSpill);
            double trimSeconds = Arrays.stream(trimNanos).sum() / 1e9;
            System.out.printf(Locale.ROOT, "refills per second: %,.0f with no trim, %,.0f during the trims (%.2f s in all)%n",
                    baseRefill.getTotalCount() / (rounds * BASELINE_NANOS / 1e9), trimRefill.getTotalCount() / trimSeconds,
                    trimSeconds);
        }
    }

    private static Histogram histogram() {
        return new Histogram(60_000_000_000L, 3);
    }

    private static void print(String what, Histogram h) {
        System.out.printf(Locale.ROOT, "%s: %,9d calls  p50 %9.1f us  p99 %9.1f us  p99.9 %9.1f us  max %9.1f us%n",
                what, h.getTotalCount(), h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(99) / 1e3,
                h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3);
    }

    private static int classOf(MemStats stats, long size) {
        for (int c = 0; c < stats.classCount(); c++) {
            if (stats.classSize(c) == size) {
                return c;
            }
        }
        throw new IllegalStateException("no size class of " + size + " bytes");
    }

    /** Allocates 1 GiB of the class, touches every page, frees it all and flushes: it ends on the central stack. */
    private static void fill(NativeAllocator allocator) {
        ThreadCache cache = allocator.threadCache();
        long[] blocks = new long[(int) (TOTAL / SIZE)];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = cache.allocateAddress(SIZE);
            var block = allocator.segment(blocks[i], SIZE);
            for (long page = 0; page < SIZE; page += PAGE) {
                block.set(ValueLayout.JAVA_LONG, page, i + page);
            }
        }
        for (long block : blocks) {
            cache.freeAddress(block, SIZE);
        }
        cache.flush();
    }

    /**
     * Runs the burst loop on a new thread; with {@code trim}, trims on this one meanwhile (the
     * duration and bytes go to {@code trimOut}), else lets it run for the baseline's window.
     * Checks that the calls timed as refills and spills are exactly the class's refills and spills.
     */
    private static void measure(NativeAllocator allocator, int sizeClass, int capacity, int batch, boolean trim,
                                Histogram refills, Histogram spills, long[] trimOut) throws InterruptedException {
        MemStats before = new MemStats();
        allocator.readMemStats(before);
        Loop loop = new Loop(allocator, capacity, batch, refills, spills);
        Thread thread = Thread.ofPlatform().name("refiller").start(loop);
        loop.ready.await();
        if (trim) {
            loop.recording = true;
            long start = System.nanoTime();
            long bytes = allocator.trim();
            trimOut[0] = System.nanoTime() - start;
            loop.recording = false;
            trimOut[1] = bytes;
        } else {
            loop.recording = true;
            LockSupport.parkNanos(BASELINE_NANOS); // the baseline's measuring window
            loop.recording = false;
        }
        loop.stop = true;
        thread.join();
        if (loop.failure != null) {
            throw new IllegalStateException("the refiller failed", loop.failure);
        }
        MemStats after = new MemStats();
        allocator.readMemStats(after);
        long refilled = after.classRefills(sizeClass) - before.classRefills(sizeClass);
        long spilled = after.classSpills(sizeClass) - before.classSpills(sizeClass);
        if (refilled != loop.refillCalls || spilled != loop.spillCalls) {
            throw new IllegalStateException("the calls timed as refills (" + loop.refillCalls + ") and spills ("
                    + loop.spillCalls + ") are not the class's refills (" + refilled + ") and spills (" + spilled
                    + "): the ring model is wrong");
        }
    }

    /** Bursts of allocations and frees of the class, timing the ones that cross a refill or a spill. */
    private static final class Loop implements Runnable {
        private final NativeAllocator allocator;
        private final int capacity;
        private final int batch;
        private final Histogram refills;
        private final Histogram spills;
        final CountDownLatch ready = new CountDownLatch(1);
        volatile boolean recording;
        volatile boolean stop;
        long refillCalls;
        long spillCalls;
        Throwable failure;

        Loop(NativeAllocator allocator, int capacity, int batch, Histogram refills, Histogram spills) {
            this.allocator = allocator;
            this.capacity = capacity;
            this.batch = batch;
            this.refills = refills;
            this.spills = spills;
        }

        @Override
        public void run() {
            try {
                ThreadCache cache = allocator.threadCache();
                long[] held = new long[BURST];
                int n = 0; // the ring's count of the class: a new thread's ring is empty
                for (long burst = 0; ; burst++) {
                    if (burst == 2_000) {
                        ready.countDown(); // warmed up
                    }
                    if (burst > 2_000 && stop) {
                        break;
                    }
                    boolean record = recording;
                    for (int i = 0; i < BURST; i++) {
                        boolean refill = n == 0;
                        n = (refill ? batch : n) - 1;
                        long start = System.nanoTime();
                        held[i] = cache.allocateAddress(SIZE);
                        long took = System.nanoTime() - start;
                        if (refill) {
                            refillCalls++;
                            if (record) {
                                refills.recordValue(took);
                            }
                        }
                    }
                    for (int i = 0; i < BURST; i++) {
                        boolean spill = n == capacity;
                        n = spill ? capacity - batch + 1 : n + 1;
                        long start = System.nanoTime();
                        cache.freeAddress(held[i], SIZE);
                        long took = System.nanoTime() - start;
                        if (spill) {
                            spillCalls++;
                            if (record) {
                                spills.recordValue(took);
                            }
                        }
                    }
                }
                cache.flush();
            } catch (Throwable e) {
                failure = e;
                ready.countDown();
            }
        }
    }
}
