package io.segpool.netty;

import io.segpool.stats.MemStats;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The check every test ends with: no block in use, and every byte of Sys accounted for. */
final class Idle {

    private Idle() {
    }

    /** Asserts {@code Inuse == 0}, {@code Mallocs == Frees} and {@code Sys == Inuse + Cached + Central + Released}. */
    static MemStats assertIdle(SegpoolByteBufAllocator allocator) {
        MemStats stats = new MemStats();
        allocator.readMemStats(stats);
        assertEquals(0, stats.inuse(), () -> "Inuse after every buffer was released\n" + stats);
        assertEquals(stats.mallocs(), stats.frees(), () -> "one free per block\n" + stats);
        assertConserved(stats);
        return stats;
    }

    static void assertConserved(MemStats stats) {
        assertEquals(stats.sys(), stats.inuse() + stats.cached() + stats.central() + stats.released(),
                () -> "Sys == Inuse + Cached + Central + Released\n" + stats);
    }
}
