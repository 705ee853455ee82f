package io.segpool.integration;

import io.segpool.allocator.jmx.SegpoolJmx;
import io.segpool.stats.MemStats;

import java.io.Console;
import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * A progress bar with a live one-line MemStats, on its own daemon thread until closed. It reads
 * MemStats concurrently with the workload, as a monitoring agent would.
 *
 * <p>On a terminal the line is redrawn in place five times a second (a carriage return, no new
 * line). When standard output is not a terminal (a pipe, a file, a CI log) nothing is redrawn: one
 * full line is printed every {@link #LINE_INTERVAL_SECONDS} seconds, and the last one at close.
 */
final class Progress implements AutoCloseable {

    static final long LINE_INTERVAL_SECONDS = 5;
    private static final int WIDTH = 24;
    private static final long REDRAW_MILLIS = 200;

    private final SegpoolJmx stats;
    private final DoubleSupplier fraction;
    private final PrintStream out;
    private final boolean terminal;
    private final long lineIntervalNanos;
    private final LongSupplier clock;
    private final MemStats snapshot = new MemStats();
    private final Thread painter;
    private long nextLine;
    private volatile boolean done;
    /** Appended to every line: where the counters file is, for {@code ./segpool stat}. */
    private volatile String note = "";

    /** On standard output, redrawn in place only when it is a terminal. */
    Progress(SegpoolJmx stats, DoubleSupplier fraction) {
        this(stats, fraction, System.out, isTerminal(System.console()), TimeUnit.SECONDS.toNanos(LINE_INTERVAL_SECONDS),
                System::nanoTime);
    }

    /**
     * @param terminal          redraw in place; else a line every {@code lineIntervalNanos} of {@code clock}
     * @param clock             nanoseconds, for the line interval (tests drive it by hand)
     */
    Progress(SegpoolJmx stats, DoubleSupplier fraction, PrintStream out, boolean terminal, long lineIntervalNanos,
             LongSupplier clock) {
        this.stats = stats;
        this.fraction = fraction;
        this.out = out;
        this.terminal = terminal;
        this.lineIntervalNanos = lineIntervalNanos;
        this.clock = clock;
        this.nextLine = clock.getAsLong() + lineIntervalNanos;
        this.painter = Thread.ofPlatform().daemon().name("segpool-progress").start(this::paintUntilDone);
    }

    /**
     * Appends {@code text} to every line from now on.
     *
     * @return this
     */
    Progress note(String text) {
        note = "  " + text;
        return this;
    }

    /** Java 22+: a console exists for a redirected stream too, so ask whether it is a terminal. */
    static boolean isTerminal(Console console) {
        return console != null && console.isTerminal();
    }

    private void paintUntilDone() {
        while (!done) {
            tick();
            try {
                Thread.sleep(REDRAW_MILLIS); // the redraw rate, not a wait for the workload
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One step of the painter: a redraw on a terminal, else a line when the interval has passed. */
    synchronized void tick() {
        if (terminal) {
            paint();
        } else if (clock.getAsLong() - nextLine >= 0) {
            paint();
            nextLine = clock.getAsLong() + lineIntervalNanos;
        }
    }

    private void paint() {
        try {
            stats.readMemStats(snapshot);
        } catch (IllegalStateException closed) {
            return;
        }
        double f = Math.clamp(fraction.getAsDouble(), 0, 1);
        int filled = (int) (f * WIDTH);
        String line = String.format(Locale.ROOT, "[%s%s] %3.0f%%  Sys %s  Inuse %s  StackSys %s  StackInuse %s"
                        + "  DeferSys %s  DeferInuse %s  GCs %d%s",
                "#".repeat(filled), ".".repeat(WIDTH - filled), f * 100, size(snapshot.sys()), size(snapshot.inuse()),
                size(snapshot.stackSys()), size(snapshot.stackInuse()), size(snapshot.deferSys()),
                size(snapshot.deferInuse()), GcCounter.collections(), note);
        if (terminal) {
            out.print("\r" + line + "   ");
        } else {
            out.println(line);
        }
        out.flush();
    }

    private static String size(long bytes) {
        if (bytes < 10 * 1024) {
            return bytes + " B";
        }
        return bytes < 10L << 20 ? (bytes >> 10) + " KiB" : (bytes >> 20) + " MiB";
    }

    /** Stops the painter and prints the final state: the redrawn line kept, or one last line. */
    @Override
    public void close() {
        done = true;
        painter.interrupt();
        try {
            painter.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            paint();
            if (terminal) {
                out.println();
            }
        }
    }
}
