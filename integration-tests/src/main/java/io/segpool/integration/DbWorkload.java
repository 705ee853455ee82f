package io.segpool.integration;

import io.segpool.allocator.NativeAllocator;
import io.segpool.budgets.Budget;
import io.segpool.budgets.BudgetLeakException;
import io.segpool.budgets.BudgetLimitException;
import io.segpool.budgets.BudgetListener;
import io.segpool.stats.MemStats;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The database workload of {@code ./segpool db}: N concurrent queries over one allocator, each a
 * child budget of {@code db} with its own limit, each running three operators (grandchild budgets
 * {@code scan}, {@code hash-join}, {@code sort}) that allocate and drop buffers of 64 B to 16 MiB.
 * Every fourth query is planned to ask its sort for more than the query's limit: it fails with
 * {@link BudgetLimitException} and releases everything. Query 1's hash join outgrows its limit
 * and spills through its listener (frees its oldest buffers on refusal and retries), then
 * finishes. An observer thread reads every budget's use throughout; at the end one budget is
 * leaked on purpose and its tree report printed, then everything is closed and the allocator
 * trimmed.
 */
final class DbWorkload {

    /** What a query did. */
    enum Outcome { OK, SPILLED, REFUSED }

    /** One query's line of the table. */
    record QueryResult(String path, String threads, long limit, long peak, Outcome outcome) {
    }

    /** Everything the integration test checks. */
    record Result(List<QueryResult> queries, Set<String> plannedRefusals, Set<String> refused, long overLimitSeen,
            long observations, boolean allClosed, long inuseAfter, long rssStart, long rssPeak, long rssAfter,
            String leakReport) {
    }

    private static final long QUERY_LIMIT = 48L << 20;
    /** The most bytes a churning operator holds at once; its limit is 4 MiB more (block rounding). */
    private static final long OPERATOR_HOLD = 20L << 20;
    /** The spilling hash join's limit: its build side is twice that. */
    private static final long SPILL_LIMIT = 12L << 20;

    private DbWorkload() {
    }

    static Result run(int queries, boolean pool, boolean virtual, long seed, PrintStream out) throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            MemStats stats = new MemStats();
            System.gc();
            long rssStart = vmRss();
            printMemory(out, "before", allocator, stats, rssStart);
            Budget root = Budget.root(allocator, "db", QUERY_LIMIT * queries * 2 + (64L << 20));
            List<Budget> watched = new CopyOnWriteArrayList<>(List.of(root));
            AtomicBoolean done = new AtomicBoolean();
            AtomicLong over = new AtomicLong();
            AtomicLong observations = new AtomicLong();
            AtomicLong rssPeak = new AtomicLong(rssStart);
            Thread observer = Thread.ofPlatform().name("db-observer").start(() -> {
                while (!done.get()) {
                    for (Budget b : watched) {
                        if (b.used() > b.limit()) {
                            over.incrementAndGet();
                        }
                    }
                    if (observations.incrementAndGet() % 4096 == 0) {
                        rssPeak.accumulateAndGet(vmRssOrZero(), Math::max);
                    }
                }
            });
            List<QueryResult> results = new ArrayList<>();
            Set<String> planned = new TreeSet<>();
            Set<String> refused = new TreeSet<>();
            List<Budget> all = new CopyOnWriteArrayList<>();
            if (pool) {
                try (ExecutorService workers = Executors.newFixedThreadPool(4)) {
                    runAll(workers, "pool", root, queries, seed, watched, all, results, planned, refused);
                }
            }
            if (virtual) {
                try (ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
                    runAll(workers, "virtual", root, queries, seed + 1, watched, all, results, planned, refused);
                }
            }
            rssPeak.accumulateAndGet(vmRss(), Math::max);
            allocator.readMemStats(stats);
            printMemory(out, "at peak", allocator, stats, rssPeak.get());
            String leakReport = leakOne(root);
            done.set(true);
            observer.join(TimeUnit.SECONDS.toMillis(10));
            root.close();
            boolean allClosed = root.isClosed();
            for (Budget b : all) {
                allClosed &= b.isClosed();
            }
            allocator.trim();
            System.gc(); // the JVM's own heap grew with the run; VmRSS should show the allocator's memory
            allocator.readMemStats(stats);
            long rssAfter = vmRss();
            out.printf("%-22s %-8s %10s %10s  %s%n", "query", "threads", "limit", "peak", "result");
            for (QueryResult q : results) {
                out.printf("%-22s %-8s %10d %10d  %s%n", q.path(), q.threads(), q.limit(), q.peak(),
                        q.outcome().name().toLowerCase(java.util.Locale.ROOT));
            }
            out.println("leaked on purpose, the tree report of db/leaky:");
            out.print(leakReport);
            printMemory(out, "after trim", allocator, stats, rssAfter);
            out.printf("observer: %d reads of every budget, %d above a limit; every budget closed: %s; Inuse %d%n",
                    observations.get(), over.get(), allClosed, stats.inuse());
            return new Result(results, planned, refused, over.get(), observations.get(), allClosed, stats.inuse(),
                    rssStart, rssPeak.get(), rssAfter, leakReport);
        }
    }

    private static void runAll(ExecutorService workers, String kind, Budget root, int queries, long seed,
            List<Budget> watched, List<Budget> all, List<QueryResult> results, Set<String> planned, Set<String> refused)
            throws Exception {
        List<Future<QueryResult>> futures = new ArrayList<>();
        for (int q = 0; q < queries; q++) {
            String name = kind + "-query-" + q;
            boolean refuse = q % 4 == 3;
            boolean spill = q == 1;
            if (refuse) {
                planned.add("db/" + name);
            }
            Budget query = root.newChild(name, 1L << 20, QUERY_LIMIT);
            watched.add(query);
            all.add(query);
            long querySeed = seed * 31 + q;
            futures.add(workers.submit(() -> runQuery(query, refuse, spill, querySeed, watched, all, kind)));
        }
        for (Future<QueryResult> f : futures) {
            QueryResult r = f.get(60, TimeUnit.SECONDS);
            results.add(r);
            if (r.outcome() == Outcome.REFUSED) {
                refused.add(r.path());
            }
        }
    }

    private static QueryResult runQuery(Budget query, boolean refuse, boolean spill, long seed, List<Budget> watched,
            List<Budget> all, String kind) {
        SplittableRandom random = new SplittableRandom(seed);
        Outcome outcome = Outcome.OK;
        ArrayDeque<MemorySegment> spillable = new ArrayDeque<>();
        BudgetListener spiller = new BudgetListener() {
            @Override
            public boolean onRefusal(Budget budget, long size, long blockSize, BudgetLimitException refusal) {
                // Spill: write the oldest half of the build side "to disk" (drop it) and retry once.
                for (int i = spillable.size() / 2; i >= 0 && !spillable.isEmpty(); i--) {
                    budget.free(spillable.poll());
                }
                return true;
            }
        };
        boolean spilled = false;
        try {
            for (String op : new String[] {"scan", "hash-join", "sort"}) {
                boolean spilling = spill && op.equals("hash-join");
                Budget operator = spilling ? query.newChild(op, 0, SPILL_LIMIT, spiller)
                        : query.newChild(op, 0, OPERATOR_HOLD + (4L << 20));
                watched.add(operator);
                all.add(operator);
                try {
                    if (spilling) {
                        spilled = build(operator, random, spillable);
                    } else {
                        churn(operator, random);
                    }
                    if (refuse && op.equals("sort")) {
                        operator.allocate(query.limit()); // planned to fail: more than the whole query may use
                    }
                } finally {
                    operator.close();
                }
            }
            outcome = spilled ? Outcome.SPILLED : Outcome.OK;
        } catch (BudgetLimitException e) {
            outcome = Outcome.REFUSED;
        } finally {
            query.close();
        }
        return new QueryResult(query.path(), kind, query.limit(), query.peak(), outcome);
    }

    /** Allocates and drops buffers from 64 B to 16 MiB, holding at most {@link #OPERATOR_HOLD} bytes. */
    private static void churn(Budget operator, SplittableRandom random) {
        ArrayDeque<MemorySegment> held = new ArrayDeque<>();
        long heldBytes = 0;
        for (int i = 0; i < 300; i++) {
            long size = random.nextInt(50) == 0 ? random.nextLong(1L << 20, 16L << 20) >>> 2 << 2
                    : random.nextLong(64, 64 << 10);
            while (!held.isEmpty() && heldBytes + size > OPERATOR_HOLD) {
                MemorySegment s = held.poll();
                heldBytes -= s.byteSize();
                operator.free(s);
            }
            if (size > OPERATOR_HOLD) {
                continue;
            }
            MemorySegment s = operator.allocate(size);
            fill(s, size);
            held.add(s);
            heldBytes += size;
        }
        for (MemorySegment s : held) {
            operator.free(s);
        }
    }

    /** A hash join's build side: 256 KiB buffers up to twice the operator's limit, spilling on refusal. */
    private static boolean build(Budget operator, SplittableRandom random, ArrayDeque<MemorySegment> spillable) {
        long built = 0;
        int refusals = 0;
        while (built < 2 * operator.limit()) {
            long before = operator.used();
            MemorySegment s = operator.allocate(256 << 10);
            refusals += operator.used() < before + s.byteSize() ? 1 : 0;
            fill(s, random.nextLong());
            spillable.add(s);
            built += s.byteSize();
        }
        while (!spillable.isEmpty()) {
            operator.free(spillable.poll());
        }
        return refusals > 0;
    }

    /** Writes every page of a buffer, as an operator filling it would, so that it is resident. */
    private static void fill(MemorySegment s, long value) {
        for (long off = 0; off + 8 <= s.byteSize(); off += 4096) {
            s.set(ValueLayout.JAVA_LONG_UNALIGNED, off, value);
        }
    }

    /** Leaks two blocks of a tracked budget on purpose and returns the close's tree report. */
    private static String leakOne(Budget root) {
        Budget leaky = root.newChild("leaky", 4096, 1L << 20);
        leaky.trackLeaks(true);
        Budget scan = leaky.newChild("scan", 0, 64 << 10);
        scan.allocate(1000);
        leaky.allocate(300);
        try {
            leaky.close();
            throw new IllegalStateException("db/leaky closed without a leak report");
        } catch (BudgetLeakException e) {
            String report = e.getMessage();
            leaky.closeAndRelease();
            return report + (report.endsWith("\n") ? "" : "\n");
        }
    }

    private static void printMemory(PrintStream out, String when, NativeAllocator allocator, MemStats stats, long rss) {
        allocator.readMemStats(stats);
        out.printf("memory %-10s Sys %6d MiB  Released %6d MiB  Inuse %6d MiB  VmRSS %6d MiB%n", when,
                stats.sys() >> 20, stats.released() >> 20, stats.inuse() >> 20, rss >> 20);
    }

    static long vmRss() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.substring(6).trim().split("\\s+")[0]) * 1024;
            }
        }
        throw new IOException("no VmRSS in /proc/self/status");
    }

    private static long vmRssOrZero() {
        try {
            return vmRss();
        } catch (IOException e) {
            return 0;
        }
    }
}
