package io.segpool.integration;

import io.segpool.counters.CountersSnapshot;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.Locale;

/** What {@code ./segpool stat} prints: the header line, the MemStats table, rates and the trend. */
final class StatFormat {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(ZoneId.systemDefault());
    private static final String BARS = "▁▂▃▄▅▆▇█";

    private StatFormat() {
    }

    static void header(PrintWriter out, Path path, CountersSnapshot s, String stale) {
        out.printf(Locale.ROOT, "%s: process %d, %s, started %s, period %d ms, publication %,d%n", path, s.pid(),
                s.name(), TIME.format(s.started()), s.period().toMillis(), s.publications());
        long ageMs = Duration.between(s.heartbeat(), Instant.now()).toMillis();
        if (stale == null) {
            out.printf(Locale.ROOT, "live: published %.1f s ago%n", ageMs / 1000.0);
        } else {
            out.printf(Locale.ROOT, "STALE: %s; these are the figures of %s%n", stale, TIME.format(s.heartbeat()));
        }
    }

    static void table(PrintWriter out, CountersSnapshot s) {
        for (int i = 0; i < CountersSnapshot.FIGURES.size(); i++) {
            out.printf(Locale.ROOT, "%-14s %,16d%n", CountersSnapshot.FIGURES.get(i), s.figure(i));
        }
        out.printf(Locale.ROOT, "%10s %14s %14s %10s %10s %5s %5s %10s%n", (Object[]) CountersSnapshot.ROW.stream()
                .map(c -> c.equals("size") ? "class" : c).toArray(String[]::new));
        for (long[] row : s.classes()) {
            if (row[1] != 0 || row[2] != 0 || row[3] != 0 || row[4] != 0) {
                out.printf(Locale.ROOT, "%10d %,14d %,14d %,10d %,10d %5d %5d %,10d%n", row[0], row[1], row[2],
                        row[3], row[4], row[5], row[6], row[7]);
            }
        }
    }

    /** Rates per second between two publications, by their own heartbeats; nothing on the first frame. */
    static void rates(PrintWriter out, CountersSnapshot before, CountersSnapshot now) {
        if (before == null || now.publications() == before.publications()) {
            out.println("rates/s: (after the next publication)");
            return;
        }
        double seconds = Math.max(1e-3, Duration.between(before.heartbeat(), now.heartbeat()).toNanos() / 1e9);
        out.printf(Locale.ROOT, "rates/s over %.1f s: mallocs %,.0f  frees %,.0f  refills %,.0f  spills %,.0f%n",
                seconds,
                (now.figure(CountersSnapshot.MALLOCS) - before.figure(CountersSnapshot.MALLOCS)) / seconds,
                (now.figure(CountersSnapshot.FREES) - before.figure(CountersSnapshot.FREES)) / seconds,
                (now.classTotal(CountersSnapshot.CLASS_REFILLS) - before.classTotal(CountersSnapshot.CLASS_REFILLS)) / seconds,
                (now.classTotal(CountersSnapshot.CLASS_SPILLS) - before.classTotal(CountersSnapshot.CLASS_SPILLS)) / seconds);
    }

    /** The last publications' Sys and Inuse, drawn as bars from their own minimum to maximum. */
    static final class Trend {
        private final int width;
        private final ArrayDeque<long[]> points = new ArrayDeque<>();
        private long lastPublication = -1;

        Trend(int width) {
            this.width = width;
        }

        void add(CountersSnapshot s) {
            if (s.publications() == lastPublication) {
                return;
            }
            lastPublication = s.publications();
            points.addLast(new long[] {s.figure(CountersSnapshot.SYS), s.figure(CountersSnapshot.INUSE)});
            if (points.size() > width) {
                points.removeFirst();
            }
        }

        void print(PrintWriter out) {
            line(out, "Sys  ", 0);
            line(out, "Inuse", 1);
        }

        private void line(PrintWriter out, String label, int column) {
            long min = Long.MAX_VALUE;
            long max = Long.MIN_VALUE;
            for (long[] p : points) {
                min = Math.min(min, p[column]);
                max = Math.max(max, p[column]);
            }
            StringBuilder bars = new StringBuilder();
            for (long[] p : points) {
                int level = max == min ? 0 : (int) ((p[column] - min) * (BARS.length() - 1) / (max - min));
                bars.append(BARS.charAt(level));
            }
            long first = points.getFirst()[column];
            long last = points.getLast()[column];
            out.printf(Locale.ROOT, "%s %s  %s (min %s, max %s, %+,d B over %d publications)%n", label, bars,
                    mib(last), mib(min), mib(max), last - first, points.size());
        }

        private static String mib(long bytes) {
            return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
        }
    }
}
