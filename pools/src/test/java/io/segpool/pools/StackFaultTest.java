package io.segpool.pools;

import io.segpool.allocator.AllocatorConfig;
import io.segpool.allocator.MemoryLimitException;
import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every multi-step change of a stack either completes or leaves the stack as it was when the
 * allocator refuses in the middle (issue 17, fault atomicity in the pools): a new segment or a big
 * block past the pool's memory limit changes no figure and no frame, and a frame close whose give
 * back the allocator refuses still closes the frame, gives back everything else and leaves no
 * frame bumping into memory the stack no longer holds.
 *
 * <p>Its pools keep one emptied segment per stack ({@code stackCacheBytes} of one segment), so
 * that a close gives the rest back to the allocator, whose refusals are the faults here; the
 * deeper cache is {@link SegmentCacheTest}'s.
 */
@Timeout(60)
class StackFaultTest {

    private static final long SEGMENT = 16 * 1024;
    private static final long LIMIT = 1L << 20;

    @Test
    void aNewSegmentPastTheMemoryLimitChangesNothing() {
        try (StackPool pool = StackPool.create(SEGMENT, SEGMENT, AllocatorConfig.defaults().withMemoryLimit(LIMIT));
             SegmentedStack stack = pool.newStack()) {
            Frame frame = stack.push();
            MemoryLimitException refused = null;
            long last = 0;
            for (int i = 0; i < 1000 && refused == null; i++) {
                MemStats before = figures(pool);
                int segments = stack.segmentsHeld();
                try {
                    last = frame.allocateAddress(SEGMENT / 2 + 16); // one per segment: each needs a new one
                } catch (MemoryLimitException e) {
                    refused = e;
                    assertUnchanged(before, figures(pool), "the refused segment");
                    assertEquals(segments, stack.segmentsHeld());
                    assertEquals(1, stack.depth());
                    assertTrue(frame.isOpen());
                }
            }
            assertTrue(refused != null && stack.segmentsHeld() > 1, "the limit was reached");
            long next = frame.allocateAddress(64); // the current segment still has room
            assertEquals(last + SEGMENT / 2 + 16, next, "the frame bumps on where it was");
            try (Frame inner = stack.push()) {
                assertThrows(MemoryLimitException.class, () -> inner.allocate(SEGMENT));
            }
            frame.close();
            assertEquals(SEGMENT, SegmentedStackTest.inuse(pool), "every segment came back but the spare");
            try (Frame again = stack.push()) {
                again.allocate(SEGMENT);
                again.allocate(SEGMENT);
            }
        }
    }

    @Test
    void aBigBlockPastTheMemoryLimitChangesNothing() {
        try (StackPool pool = StackPool.create(SEGMENT, SEGMENT, AllocatorConfig.defaults().withMemoryLimit(LIMIT));
             SegmentedStack stack = pool.newStack()) {
            Frame frame = stack.push();
            frame.allocate(64);
            MemoryLimitException refused = null;
            for (int i = 0; i < 100 && refused == null; i++) {
                MemStats before = figures(pool);
                try {
                    frame.allocate(3 * SEGMENT + 1).fill((byte) i);
                } catch (MemoryLimitException e) {
                    refused = e;
                    assertUnchanged(before, figures(pool), "the refused big block");
                    assertEquals(1, stack.segmentsHeld());
                }
            }
            assertTrue(refused != null, "the limit was reached");
            frame.allocate(64).fill((byte) 1);
            frame.close();
            assertEquals(SEGMENT, SegmentedStackTest.inuse(pool), "every big block came back; the segment is the spare");
        }
    }

    /** A deep stack whose growth hits the limit: the refused push's allocation changes nothing and the frames unwind. */
    @Test
    void aStackGrowingIntoTheMemoryLimitUnwindsCleanly() {
        try (StackPool pool = StackPool.create(SEGMENT, SEGMENT, AllocatorConfig.defaults().withMemoryLimit(LIMIT));
             SegmentedStack stack = pool.newStack()) {
            java.util.ArrayDeque<Frame> frames = new java.util.ArrayDeque<>();
            MemoryLimitException refused = null;
            while (refused == null && stack.depth() < 100_000) {
                Frame frame = stack.push();
                frames.push(frame);
                MemStats before = figures(pool);
                int segments = stack.segmentsHeld();
                try {
                    frame.allocate(3000).fill((byte) stack.depth());
                } catch (MemoryLimitException e) {
                    refused = e;
                    assertUnchanged(before, figures(pool), "the refused frame allocation");
                    assertEquals(segments, stack.segmentsHeld());
                    frame.allocate(0); // the frame is still the innermost and usable
                }
            }
            assertTrue(refused != null && stack.depth() > 10, stack.depth() + " frames before the limit");
            while (!frames.isEmpty()) {
                frames.pop().close(); // innermost first, each giving back what it took
            }
            assertEquals(0, stack.depth());
            assertEquals(SEGMENT, SegmentedStackTest.inuse(pool), "every segment came back but the spare");
            assertEquals(SEGMENT, stack.flush());
            assertEquals(0, SegmentedStackTest.inuse(pool), "and the spare on flush");
        }
    }

    /** A segment of the closing frame freed behind the stack's back: its give back is refused, the rest completes. */
    @Test
    void aFrameCloseWhoseSegmentFreeIsRefusedStillClosesTheFrame() {
        try (StackPool pool = StackPool.create(SEGMENT, SEGMENT, AllocatorConfig.defaults()); SegmentedStack stack = pool.newStack()) {
            Frame outer = stack.push();
            long kept = outer.allocateAddress(100);
            Frame inner = stack.push();
            long[] segments = new long[3];
            for (int i = 0; i < segments.length; i++) {
                segments[i] = inner.allocateAddress(SEGMENT); // each a segment of its own
            }
            inner.allocate(100_000);
            assertEquals(4, stack.segmentsHeld());
            pool.allocator().freeAddress(segments[1], pool.segmentRequest()); // the fault: not the stack's any more

            IllegalStateException refused = assertThrows(IllegalStateException.class, inner::close);
            assertTrue(refused.getMessage().contains("double free")
                    || refused.getMessage().contains("already free"), refused.getMessage());
            assertFalse(inner.isOpen(), "the frame closed although one give back was refused");
            assertEquals(1, stack.depth());
            assertEquals(1, stack.segmentsHeld(), "the other segments went back");
            assertEquals(2 * SEGMENT, SegmentedStackTest.inuse(pool), "only the outer frame's segment and the spare"
                    + " (the newest, kept before the refused one) are in use");
            assertEquals(kept + 112, outer.allocateAddress(16), "the outer frame bumps on where it was");
            outer.close();
            assertEquals(SEGMENT, SegmentedStackTest.inuse(pool), "only the spare");
        }
    }

    /** A big block of the closing frame freed behind the stack's back: the frame's segments still go back. */
    @Test
    void aFrameCloseWhoseBigBlockFreeIsRefusedStillClosesTheFrame() {
        try (StackPool pool = StackPool.create(SEGMENT, SEGMENT, AllocatorConfig.defaults()); SegmentedStack stack = pool.newStack()) {
            Frame outer = stack.push();
            outer.allocate(100);
            Frame inner = stack.push();
            inner.allocate(100_000);
            MemorySegment second = inner.allocate(200_000);
            inner.allocate(SEGMENT);
            pool.allocator().free(second);
            assertThrows(IllegalStateException.class, inner::close);
            assertFalse(inner.isOpen());
            assertEquals(1, stack.depth());
            assertEquals(1, stack.segmentsHeld());
            assertEquals(2 * SEGMENT, SegmentedStackTest.inuse(pool), "the first big block and the segment went"
                    + " back, the segment as the spare: the outer frame's segment and the spare are in use");
            outer.close();
            assertEquals(SEGMENT, SegmentedStackTest.inuse(pool), "only the spare");
        }
    }

    static MemStats figures(StackPool pool) {
        MemStats stats = new MemStats();
        pool.readMemStats(stats);
        return stats;
    }

    /** What a refused request must not change; a trim before the refusal may release pages, so Released may grow. */
    static void assertUnchanged(MemStats before, MemStats after, String what) {
        assertEquals(before.sys(), after.sys(), what + " changed Sys (StackSys)");
        assertEquals(before.inuse(), after.inuse(), what + " changed Inuse (StackInuse)");
        assertEquals(before.mallocs(), after.mallocs(), what + " changed Mallocs");
        assertEquals(before.frees(), after.frees(), what + " changed Frees");
    }
}
