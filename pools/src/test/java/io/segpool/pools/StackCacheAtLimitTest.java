package io.segpool.pools;

import io.segpool.allocator.AllocatorConfig;
import io.segpool.allocator.MemoryLimitException;
import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The segments a stack keeps count in StackInuse, so at the pool's memory limit they are what
 * stands between another stack and its next segment: a push refused at the limit first gives back
 * the live stacks' kept segments and tries once more. A stack's cache never makes another stack's
 * growth fail while the cache could have served it.
 */
@Timeout(60)
class StackCacheAtLimitTest {

    private static final long SEGMENT = 16 * 1024;
    private static final long LIMIT = 1L << 20;
    private static final int KEPT = 8;

    @Test
    void aPushAtTheLimitTakesTheSegmentsOtherStacksKeep() {
        int alone;
        try (StackPool pool = pool(); SegmentedStack grower = pool.newStack()) {
            alone = growUntilRefused(grower);
        }
        try (StackPool pool = pool(); SegmentedStack keeper = pool.newStack(); SegmentedStack grower = pool.newStack()) {
            try (Frame frame = keeper.push()) {
                for (int i = 0; i < KEPT + 1; i++) {
                    frame.allocateAddress(SEGMENT / 2 + 16); // one segment each
                }
            }
            assertEquals(KEPT, keeper.segmentsKept(), "the keeper's close kept a full cache");
            assertEquals(SegmentedStackTest.spare(keeper), SegmentedStackTest.inuse(pool), "the kept ones count");

            int beside = growUntilRefused(grower);
            assertEquals(0, keeper.segmentsKept(), "the refused push took the keeper's cache back");
            assertEquals(alone, beside, "the keeper's segments served the grower as if it were alone");

            try (Frame again = keeper.push()) { // the keeper grows again, from what the grower gave back
                again.allocateAddress(SEGMENT / 2 + 16);
                again.allocateAddress(SEGMENT / 2 + 16);
            }
            keeper.flush();
            grower.flush();
            MemStats end = StackFaultTest.figures(pool);
            assertEquals(0, end.stackInuse(), "every segment came back");
            assertEquals(end.mallocs(), end.frees(), "each exactly once");
        }
    }

    @Test
    void aPushAtTheLimitWithNothingKeptStillFailsAndChangesNothing() {
        try (StackPool pool = pool(); SegmentedStack grower = pool.newStack()) {
            Frame frame = grower.push();
            MemoryLimitException refused = null;
            while (refused == null) {
                MemStats before = StackFaultTest.figures(pool);
                int segments = grower.segmentsHeld();
                try {
                    frame.allocateAddress(SEGMENT / 2 + 16);
                } catch (MemoryLimitException e) {
                    refused = e;
                    StackFaultTest.assertUnchanged(before, StackFaultTest.figures(pool), "the refused segment");
                    assertEquals(segments, grower.segmentsHeld());
                }
            }
            frame.close();
            grower.flush();
            MemStats end = StackFaultTest.figures(pool);
            assertEquals(0, end.stackInuse(), "every segment came back");
            assertEquals(end.mallocs(), end.frees(), "each exactly once");
        }
    }

    /** Holds one frame that takes a segment per allocation until the limit refuses; returns the segments taken. */
    private static int growUntilRefused(SegmentedStack stack) {
        try (Frame frame = stack.push()) {
            for (int taken = 0; ; taken++) {
                try {
                    frame.allocateAddress(SEGMENT / 2 + 16);
                } catch (MemoryLimitException e) {
                    assertTrue(taken > KEPT, taken + " segments before the limit");
                    return taken;
                }
            }
        }
    }

    private static StackPool pool() {
        return StackPool.create(SEGMENT, KEPT * SEGMENT, AllocatorConfig.defaults().withMemoryLimit(LIMIT));
    }
}
