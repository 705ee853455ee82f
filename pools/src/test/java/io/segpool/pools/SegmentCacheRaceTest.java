package io.segpool.pools;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pool's trim steals a stack's kept segments from another thread while the owner recurses 64
 * frames deep (8 segments) as fast as it can, taking kept segments and keeping them again: real
 * threads, many iterations. The allocator checks every free (a segment freed twice, by the trim
 * and by the owner, is refused and fails the thread that freed it), the owner checks every frame's
 * bytes after its inner frames closed, and a third thread takes segments of the pool and checks
 * its own pattern in each, so a segment owned twice (a stolen one the owner still used) shows as a
 * foreign write. At the end every segment is back: StackInuse 0 and as many frees as mallocs.
 */
@Timeout(60)
class SegmentCacheRaceTest {

    private static final int RECURSIONS = 20_000;
    private static final int TRIMS = 500;
    private static final int DEPTH = 64;

    @Test
    void aTrimStealingKeptSegmentsWhileTheOwnerRecursesLosesAndDuplicatesNothing() throws Exception {
        try (StackPool pool = StackPool.create(SegmentCacheTest.SEGMENT)) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicBoolean ownerDone = new AtomicBoolean();
            AtomicLong trims = new AtomicLong();
            AtomicLong recursions = new AtomicLong();
            AtomicLong otherRounds = new AtomicLong();
            CountDownLatch started = new CountDownLatch(3);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);

            Thread owner = Thread.ofPlatform().start(() -> {
                try (SegmentedStack stack = pool.newStack()) {
                    started.countDown();
                    started.await();
                    long i = 0;
                    while ((i < RECURSIONS || trims.get() < TRIMS) && System.nanoTime() < deadline) {
                        if (SegmentCacheTest.recurse(stack, DEPTH, i++) != DEPTH) {
                            throw new AssertionError("the recursion did not reach its depth");
                        }
                    }
                    recursions.set(i);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    ownerDone.set(true);
                }
            });
            Thread trimmer = Thread.ofPlatform().start(() -> {
                try {
                    started.countDown();
                    started.await();
                    while (!ownerDone.get()) {
                        pool.trim();
                        trims.incrementAndGet();
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                    ownerDone.set(true);
                }
            });
            Thread other = Thread.ofPlatform().start(() -> {
                try {
                    started.countDown();
                    started.await();
                    for (long round = 0; !ownerDone.get(); round++) {
                        MemorySegment mine = pool.allocate();
                        long pattern = round * 0x9E37_79B9_7F4A_7C15L;
                        mine.set(ValueLayout.JAVA_LONG, 0, pattern);
                        mine.set(ValueLayout.JAVA_LONG, 1016, ~pattern);
                        Thread.onSpinWait();
                        if (mine.get(ValueLayout.JAVA_LONG, 0) != pattern
                                || mine.get(ValueLayout.JAVA_LONG, 1016) != ~pattern) {
                            throw new AssertionError("a segment of this thread was written by another owner");
                        }
                        pool.free(mine);
                        otherRounds.incrementAndGet();
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                    ownerDone.set(true);
                }
            });
            for (Thread thread : new Thread[] {owner, trimmer, other}) {
                assertTrue(thread.join(java.time.Duration.ofSeconds(45)), thread + " did not finish");
            }
            assertNull(failure.get());
            assertTrue(recursions.get() >= RECURSIONS && trims.get() >= TRIMS, recursions.get() + " recursions and "
                    + trims.get() + " trims before the deadline");

            MemStats stats = SpareSegmentTest.stats(pool);
            assertEquals(0, stats.stackInuse(), "every segment came back");
            assertEquals(stats.mallocs(), stats.frees(), "every segment taken was given back exactly once");
            // Without the trims the owner takes its 8 segments once; every stolen one is taken again.
            long steals = stats.mallocs() - otherRounds.get() - DEPTH / 8;
            assertTrue(steals >= 10, "the trims stole " + steals + " segments in " + trims.get() + " trims");
        }
    }
}
