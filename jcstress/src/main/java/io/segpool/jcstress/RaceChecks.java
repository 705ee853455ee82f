package io.segpool.jcstress;

import io.segpool.allocator.AllocatorConfig;
import io.segpool.allocator.NativeAllocator;
import io.segpool.stats.MemStats;

import java.util.Arrays;

/**
 * The checks every jcstress test's arbiter runs once both actors are done, and the one piece of
 * harness plumbing they share. Each returns a count of violations, 0 when the invariant holds, so
 * that a result row names what broke.
 */
final class RaceChecks {

    /** The block size the tests use: class 1024 B, 64 blocks (four batches) to a 64 KiB chunk. */
    static final long SIZE = 1024;

    private RaceChecks() {
    }

    /**
     * An allocator for one test instance. jcstress makes millions of them, so each reserves a
     * small heap (the 1 GiB that a memory limit of 64 MiB gives) rather than the default 64 GiB.
     */
    static NativeAllocator newAllocator() {
        return NativeAllocator.create(AllocatorConfig.defaults().withMemoryLimit(64L << 20));
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

    /**
     * Counts the broken figures of {@code stats} against what the test did: Sys == Inuse + Cached +
     * Central + Released (+ {@code heldElsewhere} bytes that the test holds outside any cache),
     * mallocs, frees and Inuse exact.
     */
    static int accountingErrors(MemStats stats, long mallocs, long frees, long heldElsewhere) {
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
        if (stats.inuse() != (mallocs - frees) * SIZE) {
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
