package io.segpool.counters;

import java.time.Duration;
import java.time.Instant;

/**
 * One whole publication read from a counters file: the header and every figure of the same
 * publication, never a mix of two (the reader retries until the sequence word is the same even
 * value before and after its copy). Made by {@link CountersReader#read()}.
 *
 * @param pid the publishing process
 * @param name the published source's name
 * @param started when the publisher started
 * @param period how often it publishes
 * @param heartbeat when it published these figures
 * @param publications how many publications it has made, these included
 * @param state {@code "live"}, {@code "closed"} (its publisher closed) or {@code "failed"} (its
 *              source closed or failed: the publisher stopped)
 * @param figures the MemStats figures by {@link #FIGURES} index
 * @param classes one row per size class, each {@link #ROW} wide
 */
public record CountersSnapshot(long pid, String name, Instant started, Duration period, Instant heartbeat,
                               long publications, String state, long[] figures, long[][] classes) {

    /** The figures' names in {@link #figures()} order: MemStats' accessors, capitalised as in Go's MemStats. */
    public static final java.util.List<String> FIGURES = java.util.List.of(CountersLayout.FIGURES);
    /** The class rows' columns in order: block size, counts, and the ring, batch and chunk bounds. */
    public static final java.util.List<String> ROW = java.util.List.of(CountersLayout.ROW);

    /** Index of {@code Sys} in {@link #figures()}. */
    public static final int SYS = 0;
    /** Index of {@code Inuse}. */
    public static final int INUSE = 1;
    /** Index of {@code Cached}. */
    public static final int CACHED = 2;
    /** Index of {@code Central}. */
    public static final int CENTRAL = 3;
    /** Index of {@code Released}. */
    public static final int RELEASED = 4;
    /** Index of {@code Mallocs}. */
    public static final int MALLOCS = 5;
    /** Index of {@code Frees}. */
    public static final int FREES = 6;
    /** Index of {@code ThreadCaches}. */
    public static final int THREAD_CACHES = 7;
    /** Index of {@code StackSys}. */
    public static final int STACK_SYS = 8;
    /** Index of {@code StackInuse}. */
    public static final int STACK_INUSE = 9;
    /** Index of {@code DeferSys}. */
    public static final int DEFER_SYS = 10;
    /** Index of {@code DeferInuse}. */
    public static final int DEFER_INUSE = 11;

    /** Column of the block size in a {@link #classes()} row. */
    public static final int CLASS_SIZE = 0;
    /** Column of the blocks handed out. */
    public static final int CLASS_MALLOCS = 1;
    /** Column of the blocks freed. */
    public static final int CLASS_FREES = 2;
    /** Column of the batches refilled from the central stack. */
    public static final int CLASS_REFILLS = 3;
    /** Column of the batches spilled to the central stack. */
    public static final int CLASS_SPILLS = 4;

    /** Heartbeats a reader may miss before it calls the file stale. */
    public static final int STALE_PERIODS = 3;

    /**
     * {@return the figure at {@code index} of {@link #figures()}, e.g. {@link #SYS}}
     *
     * @param index one of the figure indexes
     */
    public long figure(int index) {
        return figures[index];
    }

    /**
     * {@return the sum of one column over every class row, e.g. {@link #CLASS_REFILLS}}
     *
     * @param column one of the row columns
     */
    public long classTotal(int column) {
        long sum = 0;
        for (long[] row : classes) {
            sum += row[column];
        }
        return sum;
    }

    /**
     * Says why these figures are not current, or null when they are: the publisher closed or
     * stopped, or its heartbeat is older than {@value #STALE_PERIODS} periods (the process died or
     * hangs).
     *
     * @param now the time to judge the heartbeat's age at
     * @return the reason in words, or null for a live file
     */
    public String staleness(Instant now) {
        if (state.equals("closed")) {
            return "its publisher closed";
        }
        if (state.equals("failed")) {
            return "its publisher stopped: the source was closed or failed";
        }
        Duration age = Duration.between(heartbeat, now);
        if (age.compareTo(period.multipliedBy(STALE_PERIODS)) > 0) {
            boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
            return "heartbeat " + age.toMillis() + " ms old, more than " + STALE_PERIODS + " periods of "
                    + period.toMillis() + " ms" + (alive ? "" : "; process " + pid + " is not running");
        }
        return null;
    }
}
