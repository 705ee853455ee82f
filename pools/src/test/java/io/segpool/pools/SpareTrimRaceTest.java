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
 * The pool's trim steals a stack's spare from another thread while the owner crosses segment edges
 * as fast as it can, taking the spare and keeping it again: real threads, many iterations. The
 * allocator checks every free (a spare freed twice, by the trim and by the owner, is refused), the
 * owner checks its frames' bytes after every crossing, and a third thread takes segments of the
 * pool and checks its own pattern in each, so a segment owned twice (a stolen spare the owner
 * still used) shows as a foreign write. At the end every segment is back: StackInuse 0 and as many
 * frees as mallocs.
 */
@Timeout(60)
class SpareTrimRaceTest {

    private static final int CROSSINGS = 200_000;
    private static final int TRIMS = 500;

    @Test
    void aTrimStealingTheSpareWhileTheOwnerCrossesEdgesLosesAndDuplicatesNothing() throws Exception {
        try (StackPool pool = StackPool.create(SpareSegmentTest.SEGMENT)) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicBoolean ownerDone = new AtomicBoolean();
            AtomicLong trims = new AtomicLong();
            AtomicLong crossings = new AtomicLong();
            AtomicLong otherRounds = new AtomicLong();
            CountDownLatch started = new CountDownLatch(3);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);

            Thread owner = Thread.ofPlatform().start(() -> {
                try (SegmentedStack stack = pool.newStack(); Frame outer = SpareSegmentTest.atTheEdge(stack)) {
                    started.countDown();
                    started.await();
                    long i = 0;
                    while ((i < CROSSINGS || trims.get() < TRIMS) && System.nanoTime() < deadline) {
                        SpareSegmentTest.cross(stack, i++);
                        for (int k = 0; k < 20; k++) {
                            Thread.onSpinWait(); // time with the spare in its slot, for the trims to steal it
                        }
                    }
                    crossings.set(i);
                    assertTrue(outer.isOpen());
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
            assertTrue(crossings.get() >= CROSSINGS && trims.get() >= TRIMS, crossings.get() + " crossings and "
                    + trims.get() + " trims before the deadline");

            MemStats stats = SpareSegmentTest.stats(pool);
            assertEquals(0, stats.stackInuse(), "every segment came back");
            assertEquals(stats.mallocs(), stats.frees(), "every segment taken was given back exactly once");
            // The trims did steal: without them the owner takes two segments (the outer frame's and the
            // first crossing's, then its spare); each stolen spare makes its next crossing take one more.
            long steals = stats.mallocs() - otherRounds.get() - 2;
            assertTrue(steals >= 10, "the trims stole " + steals + " spares in " + trims.get() + " trims");
        }
    }
}
