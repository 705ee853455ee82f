package io.segpool.integration;

import io.segpool.pools.SegpoolStats;
import io.segpool.stats.MemStats;

import java.util.Locale;
import java.util.function.DoubleSupplier;

/**
 * A progress bar with a live one-line MemStats, redrawn five times a second on its own daemon
 * thread until closed. It reads MemStats concurrently with the workload, as a monitoring agent would.
 */
final class Progress implements AutoCloseable {

    private static final int WIDTH = 24;

    private final SegpoolStats stats;
    private final DoubleSupplier fraction;
    private final Thread painter;
    private volatile boolean done;

    Progress(SegpoolStats stats, DoubleSupplier fraction) {
        this.stats = stats;
        this.fraction = fraction;
        this.painter = Thread.ofPlatform().daemon().name("segpool-progress").start(this::paintUntilDone);
    }

    private void paintUntilDone() {
        MemStats snapshot = new MemStats();
        while (!done) {
            paint(snapshot);
            try {
                Thread.sleep(200); // the redraw rate, not a wait for the workload
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void paint(MemStats snapshot) {
        try {
            stats.readMemStats(snapshot);
        } catch (IllegalStateException closed) {
            return;
        }
        double f = Math.clamp(fraction.getAsDouble(), 0, 1);
        int filled = (int) (f * WIDTH);
        System.out.printf(Locale.ROOT, "\r[%s%s] %3.0f%%  Sys %s  Inuse %s  StackSys %s  StackInuse %s  GCs %d   ",
                "#".repeat(filled), ".".repeat(WIDTH - filled), f * 100, size(snapshot.sys()), size(snapshot.inuse()),
                size(snapshot.stackSys()), size(snapshot.stackInuse()), GcCounter.collections());
        System.out.flush();
    }

    private static String size(long bytes) {
        if (bytes < 10 * 1024) {
            return bytes + " B";
        }
        return bytes < 10L << 20 ? (bytes >> 10) + " KiB" : (bytes >> 20) + " MiB";
    }

    @Override
    public void close() {
        done = true;
        painter.interrupt();
        try {
            painter.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        paint(new MemStats());
        System.out.println();
    }
}
