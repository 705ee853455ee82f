package io.segpool.allocator;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The opt-in background release gives idle free memory back with nobody calling {@code trim()}:
 * class chunks (released, still mapped), free large spans (unmapped), and what an ended thread's
 * ring held; never before the memory was idle for the delay, and never a class that is in use.
 * {@code close()} stops its thread; it is off by default.
 *
 * <p>The test asserts the mechanism, not how fast it runs: the waits poll with a generous
 * deadline ({@link #DEADLINE}), which only a release that never comes reaches, so a loaded CI
 * machine cannot fail it. How soon the release comes is the design's (within one and a half
 * delays) and is not measured here.
 */
class BackgroundReleaseTest {

    private static final long MiB = 1 << 20;
    private static final Duration DELAY = Duration.ofSeconds(1);
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    /** The idle class: 128 blocks of 64 KiB, 8 MiB of chunks. */
    private static final long IDLE_BLOCK = 64 << 10;
    /** The busy class: 160 blocks of 4 KiB, ten 64 KiB chunks, free on the central stack. */
    private static final long BUSY_BLOCK = 4 << 10;
    private static final long BUSY_BYTES = 160 * BUSY_BLOCK;

    @Test
    void idleMemoryIsGivenBackAfterTheDelayAndABusyClassIsNot() throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withReleaseAfter(DELAY))) {
            TestThreads.Failure failure = new TestThreads.Failure();
            long start = System.nanoTime();
            Thread user = TestThreads.start("user", failure, () -> {
                List<MemorySegment> held = new ArrayList<>();
                for (int i = 0; i < 128; i++) {
                    held.add(allocator.allocate(IDLE_BLOCK));
                }
                for (int i = 0; i < 160; i++) {
                    held.add(allocator.allocate(BUSY_BLOCK));
                }
                held.add(allocator.allocate(4 * MiB));
                held.add(allocator.allocate(3 * MiB));
                held.forEach(allocator::free);
            });
            TestThreads.joinAll(user);
            failure.rethrow("the user thread failed");
            MemStats stats = TestSupport.stats(allocator);
            if (System.nanoTime() - start < DELAY.toNanos()) {
                // Nothing has been idle for the delay yet, whatever the release thread saw.
                assertEquals(0, stats.released(), "released before the delay\n" + stats);
                assertEquals(15 * MiB + BUSY_BYTES, stats.sys(), "unmapped before the delay\n" + stats);
            }

            AtomicBoolean stop = new AtomicBoolean();
            Thread busy = TestThreads.start("busy", failure, () -> {
                // Refills and spills of the busy class every 20 ms (48 blocks overflow a ring of 32;
                // fewer would stay in the ring, and a class busy only there is idle centrally): its
                // counters move every tick, so its free chunks must stay. It needs five of its ten.
                MemorySegment[] blocks = new MemorySegment[48];
                while (!stop.get()) {
                    for (int i = 0; i < blocks.length; i++) {
                        blocks[i] = allocator.allocate(BUSY_BLOCK);
                    }
                    for (MemorySegment block : blocks) {
                        allocator.free(block);
                    }
                    LockSupport.parkNanos(20_000_000); // paces the activity; no thread waits on it
                }
            });
            try {
                stats = awaitStats(allocator, s -> s.sys() == 8 * MiB + BUSY_BYTES && s.released() >= 8 * MiB,
                        "the idle class released and the large spans unmapped");
                assertEquals(8 * MiB, stats.released(), "only the idle class released, not the busy one\n" + stats);
                TestSupport.assertConserved(stats);
            } finally {
                stop.set(true);
                TestThreads.joinAll(busy);
            }
            failure.rethrow("the busy thread failed");

            // Once its thread has ended, the busy class is idle too: its chunks go back as well.
            stats = awaitStats(allocator, s -> s.released() == 8 * MiB + BUSY_BYTES,
                    "the busy class released once idle, with what the ended threads' rings held");
            assertEquals(0, stats.cached(), "the ended threads' rings were reclaimed\n" + stats);
            assertEquals(8 * MiB + BUSY_BYTES, stats.sys(), stats.toString());
            TestSupport.assertConserved(stats);
        }
    }

    /**
     * A class trimmed while a live thread's ring still held some of its blocks: when that thread
     * ends, its ring comes back to the central stack with no refill or spill, and the chunks it
     * completes must still be released (they were not: a reclaim was not activity, so the class
     * stayed marked as trimmed and its now wholly free chunks stayed, found by the Netty adapter).
     */
    @Test
    void chunksAnEndedThreadsRingCompletesAreReleasedToo() throws Exception {
        Duration delay = Duration.ofMillis(200);
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withReleaseAfter(delay))) {
            TestThreads.Failure failure = new TestThreads.Failure();
            java.util.concurrent.CountDownLatch freed = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch end = new java.util.concurrent.CountDownLatch(1);
            Thread holder = TestThreads.start("holder", failure, () -> {
                long[] blocks = new long[64];
                allocator.allocateBatch(BUSY_BLOCK, blocks, 0, blocks.length); // four chunks of 16 blocks
                for (long block : blocks) {
                    allocator.freeAddress(block, BUSY_BLOCK); // its ring keeps the last ones, the rest spill
                }
                freed.countDown();
                if (!end.await(DEADLINE.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)) {
                    throw new AssertionError("never told to end");
                }
            });
            assertTrue(freed.await(DEADLINE.toSeconds(), java.util.concurrent.TimeUnit.SECONDS));
            MemStats stats = awaitStats(allocator, s -> s.released() > 0, "the wholly free chunks released");
            assertTrue(stats.cached() > 0 && stats.released() < 4 * 16 * BUSY_BLOCK,
                    "the live holder's ring keeps some blocks, so some chunk stays\n" + stats);
            end.countDown();
            TestThreads.joinAll(holder);
            failure.rethrow("the holder failed");
            stats = awaitStats(allocator, s -> s.released() == 4 * 16 * BUSY_BLOCK,
                    "every chunk released once the ended holder's ring came back");
            assertEquals(0, stats.cached() + stats.central(), stats.toString());
            TestSupport.assertConserved(stats);
        }
    }

    /** Polls MemStats until {@code done} holds; fails only past {@link #DEADLINE}. */
    private static MemStats awaitStats(NativeAllocator allocator, Predicate<MemStats> done, String what) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        MemStats stats = TestSupport.stats(allocator);
        while (!done.test(stats)) {
            assertTrue(System.nanoTime() < deadline, () -> "not seen in " + DEADLINE + ": " + what + "\n" + stats);
            LockSupport.parkNanos(10_000_000); // polls the figures; the release thread runs on its own clock
            allocator.readMemStats(stats);
        }
        return stats;
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
