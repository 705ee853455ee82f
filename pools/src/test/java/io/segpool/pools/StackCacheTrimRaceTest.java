package io.segpool.pools;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pool's trim steals the segments a stack keeps (its spare, its segment cache) from another
 * thread while the owner takes and keeps them again as fast as it can: real threads, many
 * iterations, in two shapes (a frame crossing one segment edge back and forth, a recursion 64
 * frames deep over 8 segments). The allocator checks every free (a segment freed twice, by the
 * trim and by the owner, is refused and fails the thread that freed it), the owner checks its
 * frames' bytes, and a third thread takes segments of the pool and checks its own pattern in each,
 * so a segment owned twice (a stolen one the owner still used) shows as a foreign write. At the end
 * every segment is back: StackInuse 0 and as many frees as mallocs, and the trims did steal.
 */
@Timeout(60)
class StackCacheTrimRaceTest {

    private static final int TRIMS = 500;
    private static final int DEPTH = 64;

    /** One step of the owner's loop on its stack; {@code i} salts the step's patterns. */
    interface Step {
        void run(SegmentedStack stack, long i);
    }

    @Test
    void aTrimStealingTheSpareWhileTheOwnerCrossesEdgesLosesAndDuplicatesNothing() throws Exception {
        // Without the trims the owner takes two segments (the outer frame's and the first
        // crossing's, then its spare); each stolen spare makes its next crossing take one more.
        race(200_000, 2, SpareSegmentTest::atTheEdge, (stack, i) -> {
            SpareSegmentTest.cross(stack, i);
            for (int k = 0; k < 20; k++) {
                Thread.onSpinWait(); // time with the spare in its slot, for the trims to steal it
            }
        });
    }

    @Test
    void aTrimStealingKeptSegmentsWhileTheOwnerRecursesLosesAndDuplicatesNothing() throws Exception {
        // Without the trims the owner takes its 8 segments once; every stolen one is taken again.
        race(20_000, DEPTH / 8, stack -> null, (stack, i) -> {
            if (SegmentCacheTest.recurse(stack, DEPTH, i) != DEPTH) {
                throw new AssertionError("the recursion did not reach its depth");
            }
        });
    }

    /**
     * Runs {@code steps} steps of the owner (more while fewer than {@link #TRIMS} trims ran, up to a
     * deadline) inside {@code outer}'s frame (or none), against a trimmer and a third thread.
     * {@code untrimmedMallocs} is what the owner takes when nothing steals from it.
     */
    private static void race(long steps, long untrimmedMallocs, Function<SegmentedStack, Frame> outer, Step step)
            throws Exception {
        try (StackPool pool = StackPool.create(SpareSegmentTest.SEGMENT)) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicBoolean ownerDone = new AtomicBoolean();
            AtomicLong trims = new AtomicLong();
            AtomicLong done = new AtomicLong();
            AtomicLong otherRounds = new AtomicLong();
            CountDownLatch started = new CountDownLatch(3);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);

            Thread owner = Thread.ofPlatform().start(() -> {
                try (SegmentedStack stack = pool.newStack(); Frame frame = outer.apply(stack)) {
                    started.countDown();
                    started.await();
                    long i = 0;
                    while ((i < steps || trims.get() < TRIMS) && System.nanoTime() < deadline) {
                        step.run(stack, i++);
                    }
                    done.set(i);
                    assertTrue(frame == null || frame.isOpen());
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
                assertTrue(thread.join(Duration.ofSeconds(45)), thread + " did not finish");
            }
            assertNull(failure.get());
            assertTrue(done.get() >= steps && trims.get() >= TRIMS, done.get() + " steps and "
                    + trims.get() + " trims before the deadline");

            MemStats stats = SpareSegmentTest.stats(pool);
            assertEquals(0, stats.stackInuse(), "every segment came back");
            assertEquals(stats.mallocs(), stats.frees(), "every segment taken was given back exactly once");
            long steals = stats.mallocs() - otherRounds.get() - untrimmedMallocs;
            assertTrue(steals >= 10, "the trims stole " + steals + " segments in " + trims.get() + " trims");
        }
    }
}
