package io.segpool.jcstress;

import io.segpool.allocator.AllocatorConfig;
import io.segpool.allocator.NativeAllocator;
import io.segpool.stats.MemStats;

import java.time.Duration;
import java.util.Arrays;

/**
 * The checks every jcstress test's arbiter runs once both actors are done, and the one piece of
 * harness plumbing they share. Each returns a count of violations, 0 when the invariant holds, so
 * that a result row names what broke.
 */
final class RaceChecks {

    /**
     * How long an actor waits for a thread it started before it counts the thread as hung: far
     * beyond any correct run (microseconds), short enough that a hang fails the test in minutes.
     */
    static final Duration JOIN_TIMEOUT = Duration.ofSeconds(2);

    /** Set once a join in this VM timed out: the run has failed, later joins only look. */
    private static volatile boolean hungBefore;

    private RaceChecks() {
    }

    /**
     * An allocator for one test instance. jcstress makes millions of them, so each reserves a
     * small heap (the 1 GiB that a memory limit of 64 MiB gives) rather than the default 64 GiB.
     */
    static NativeAllocator newAllocator() {
        return newAllocator(AllocatorConfig.defaults());
    }

    /** {@link #newAllocator()} with the settings of {@code config} besides. */
    static NativeAllocator newAllocator(AllocatorConfig config) {
        return NativeAllocator.create(config.withMemoryLimit(64L << 20));
    }

    /**
     * Joins {@code thread}: true if it ended, false if it was still running after
     * {@link #JOIN_TIMEOUT}. After the first timeout in this VM, later calls wait not at all:
     * a hang (a stripe that never comes back) hangs every state alike, and waiting the full
     * timeout for each of an epoch's thousands of states would keep the run going for hours
     * after its verdict. The thread's writes happen-before a return of true (JLS 17.4.4).
     */
    static boolean joined(Thread thread) {
        if (join(thread, hungBefore ? Duration.ZERO : JOIN_TIMEOUT)) {
            return true;
        }
        hungBefore = true;
        return false;
    }

    /**
     * Joins {@code thread} for up to {@link #JOIN_TIMEOUT} whatever happened before: for a thread
     * that must end (set-up work, or a hung thread after the test freed what it waited for).
     */
    static boolean ended(Thread thread) {
        return join(thread, JOIN_TIMEOUT);
    }

    private static boolean join(Thread thread, Duration timeout) {
        try {
            return thread.join(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Addresses that occur more than once over all of {@code held}: each is a block handed out twice. */
    static int seenTwice(long[]... held) {
        int n = 0;
        for (long[] a : held) {
            n += a.length;
        }
        long[] all = new long[n];
        int i = 0;
        for (long[] a : held) {
            System.arraycopy(a, 0, all, i, a.length);
            i += a.length;
        }
        Arrays.sort(all);
        int twice = 0;
        for (int k = 1; k < n; k++) {
            if (all[k] == all[k - 1]) {
                twice++;
            }
        }
        return twice;
    }

    /** Distinct values over all of {@code held}: the blocks a test holds, each counted once. */
    static int distinct(long[]... held) {
        return (int) Arrays.stream(held).flatMapToLong(Arrays::stream).distinct().count();
    }

    /**
     * Counts the broken figures of {@code stats} against what the test did with blocks of
     * {@code size} bytes: Sys == Inuse + Cached + Central + Released (+ {@code heldElsewhere} bytes
     * that the test holds outside any cache), mallocs, frees and Inuse exact.
     */
    static int accountingErrors(MemStats stats, long size, long mallocs, long frees, long heldElsewhere) {
        int errors = 0;
        if (stats.sys() != stats.inuse() + stats.cached() + stats.central() + stats.released() + heldElsewhere) {
            errors++;
        }
        if (stats.mallocs() != mallocs) {
            errors++;
        }
        if (stats.frees() != frees) {
            errors++;
        }
        if (stats.inuse() != (mallocs - frees) * size) {
            errors++;
        }
        return errors;
    }

    static MemStats stats(NativeAllocator allocator) {
        MemStats stats = new MemStats();
        allocator.readMemStats(stats);
        return stats;
    }
}
