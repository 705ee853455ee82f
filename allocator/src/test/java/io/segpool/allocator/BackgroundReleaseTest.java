package io.segpool.allocator;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The opt-in background release gives idle free memory back within twice its delay with nobody
 * calling {@code trim()}: class chunks (released, still mapped), free large spans (unmapped), and
 * what an ended thread's ring held. {@code close()} stops its thread; it is off by default.
 */
class BackgroundReleaseTest {

    private static final long MiB = 1 << 20;
    private static final Duration DELAY = Duration.ofMillis(500);

    @Test
    void anIdleAllocatorGivesItsFreeMemoryBackWithinTwiceTheDelay() throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withReleaseAfter(DELAY))) {
            Thread user = Thread.ofPlatform().start(() -> {
                List<MemorySegment> held = new ArrayList<>();
                for (int i = 0; i < 128; i++) {
                    held.add(allocator.allocate(64 << 10));
                }
                held.add(allocator.allocate(4 * MiB));
                held.add(allocator.allocate(3 * MiB));
                held.forEach(allocator::free);
            });
            user.join();
            long idleSince = System.nanoTime();
            MemStats stats = TestSupport.stats(allocator);
            assertEquals(15 * MiB, stats.sys(), "8 MiB of class chunks and 7 MiB of large spans\n" + stats);
            assertEquals(0, stats.released());
            long deadline = idleSince + 2 * DELAY.toNanos();
            while ((stats.released() != 8 * MiB || stats.sys() != 8 * MiB) && System.nanoTime() < deadline) {
                LockSupport.parkNanos(5_000_000); // polls the figures; the release thread runs on its own clock
                allocator.readMemStats(stats);
            }
            long took = System.nanoTime() - idleSince;
            assertEquals(8 * MiB, stats.released(), "class chunks released (still mapped) after "
                    + took / 1_000_000 + " ms\n" + stats);
            assertEquals(8 * MiB, stats.sys(), "free large spans unmapped\n" + stats);
            assertEquals(0, stats.cached(), "the ended thread's ring was reclaimed");
            TestSupport.assertConserved(stats);
            assertTrue(took <= 2 * DELAY.toNanos(), "took " + took / 1_000_000 + " ms");
            System.out.printf("background release: 15 MiB idle given back %d ms after the last free (delay %d ms)%n",
                    took / 1_000_000, DELAY.toMillis());
        }
    }

    @Test
    void closeStopsTheReleaseThreadAndItIsOffByDefault() {
        NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withReleaseAfter(DELAY));
        Thread thread = allocator.backgroundReleaseThread();
        assertTrue(thread.isAlive() && thread.isDaemon(), String.valueOf(thread));
        assertTrue(thread.getName().contains(allocator.name()), thread.getName());
        allocator.close();
        assertFalse(thread.isAlive(), "close() stopped " + thread);
        try (NativeAllocator plain = NativeAllocator.create()) {
            assertNull(plain.backgroundReleaseThread());
            assertNull(plain.config().releaseAfter());
        }
    }

    @Test
    void aDelayOutsideItsRangeIsRefused() {
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                () -> AllocatorConfig.defaults().withReleaseAfter(Duration.ZERO));
        assertTrue(zero.getMessage().contains("PT0S") && zero.getMessage().contains("1 ms to 1 day"), zero.getMessage());
    }
}
