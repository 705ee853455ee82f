package io.segpool.allocator;

import io.segpool.stats.MemStats;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Helpers the probe's tests share. */
final class TestSupport {

    private TestSupport() {
    }

    static MemStats stats(NativeAllocator allocator) {
        MemStats stats = new MemStats();
        allocator.readMemStats(stats);
        return stats;
    }

    /** Every byte mapped is in exactly one place: handed out, in a ring, central, or released. */
    static void assertConserved(MemStats stats) {
        assertEquals(stats.sys(), stats.inuse() + stats.cached() + stats.central() + stats.released(),
                () -> "Sys == Inuse + cached + central + released\n" + stats);
    }
}
