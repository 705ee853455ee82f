package io.segpool.pools;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Wrong calls at the pool's own API that a frame's memory makes possible: a frame's slice that is
 * exactly one whole segment, or a big block of exactly a segment's size, looks like a segment of
 * {@link StackPool#allocate()}; {@link StackPool#free} must refuse it (the stack still holds it, so
 * accepting it would make two owners), change nothing, and leave the stack working.
 */
@Timeout(60)
class StackPoolMisuseTest {

    private static final long SEGMENT = 8192;

    @Test
    void aFramesWholeSegmentIsNotAPoolSegment() {
        try (StackPool pool = StackPool.create(SEGMENT); SegmentedStack stack = pool.newStack()) {
            Frame frame = stack.push();
            MemorySegment whole = frame.allocate(SEGMENT); // the first segment, start to end
            assertEquals(SEGMENT, whole.byteSize());
            assertEquals(0, whole.address() % SEGMENT);
            whole.set(ValueLayout.JAVA_LONG, 0, 42);
            refusedAndNothingChanged(pool, whole);

            // The stack still owns it: a segment the pool hands out now is another one.
            MemorySegment other = pool.allocate();
            assertTrue(other.address() != whole.address(), "the frame's segment was handed out twice");
            assertEquals(42, whole.get(ValueLayout.JAVA_LONG, 0));
            pool.free(other);
            frame.close();
            assertEquals(SEGMENT, SegmentedStackTest.inuse(pool), "the segment is the stack's spare now");
        }
    }

    @Test
    void aFramesSegmentSizedBigBlockIsNotAPoolSegment() {
        try (StackPool pool = StackPool.create(SEGMENT); SegmentedStack stack = pool.newStack()) {
            Frame frame = stack.push();
            MemorySegment aligned = frame.allocate(SEGMENT, 4 * SEGMENT); // aligned past a page: a block of its own
            assertEquals(SEGMENT, aligned.byteSize());
            assertEquals(0, aligned.address() % (4 * SEGMENT));
            aligned.fill((byte) 3);
            refusedAndNothingChanged(pool, aligned);
            frame.close();
            assertEquals(0, SegmentedStackTest.inuse(pool));
        }
    }

    @Test
    void anotherPoolsSegmentOfTheSameSizeIsRefused() {
        try (StackPool pool = StackPool.create(SEGMENT); StackPool other = StackPool.create(SEGMENT)) {
            MemorySegment theirs = other.allocate();
            MemorySegment mine = pool.allocate();
            MemStats before = StackFaultTest.figures(pool);
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> pool.free(theirs));
            assertTrue(refused.getMessage().contains(Long.toHexString(theirs.address())), refused.getMessage());
            assertEquals(before, StackFaultTest.figures(pool));
            other.free(theirs);
            pool.free(mine);
        }
    }

    @Test
    void aPoolSegmentStillGoesBack() {
        try (StackPool pool = StackPool.create(SEGMENT)) {
            MemorySegment segment = pool.allocate();
            pool.free(segment);
            assertEquals(0, SegmentedStackTest.inuse(pool));
            assertThrows(IllegalStateException.class, () -> pool.free(segment), "double free");
        }
    }

    private static void refusedAndNothingChanged(StackPool pool, MemorySegment segment) {
        MemStats before = StackFaultTest.figures(pool);
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> pool.free(segment));
        assertTrue(refused.getMessage().contains(Long.toString(SEGMENT)), refused.getMessage());
        assertEquals(before, StackFaultTest.figures(pool), "the refused free changed the pool's figures");
    }
}
