package io.segpool.pools;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A frame's serial is a counter that must never name two frames a stale one could be mistaken
 * for: the counter is set near its limits through the test seam {@code SegmentedStack.setNextSerial}
 * instead of pushing 2^40 or 2^64 frames.
 */
class FrameSerialWrapTest {

    @Test
    void aClosedFrameStaysClosedWhen2To40PushesLaterAFrameOpensAtItsDepth() {
        try (StackPool pool = StackPool.create(); SegmentedStack stack = pool.newStack()) {
            stack.setNextSerial(5);
            Frame stale = stack.push();
            stale.allocate(64);
            stale.close();
            stack.setNextSerial(5 + (1L << 40)); // what 2^40 pushes later would hand out
            try (Frame fresh = stack.push()) {
                assertEquals(stale.depth(), fresh.depth());
                assertFalse(stale.isOpen(), "the stale frame is not the fresh one");
                IllegalStateException refused = assertThrows(IllegalStateException.class, () -> stale.allocate(16));
                assertTrue(refused.getMessage().contains("closed"), refused.getMessage());
                stale.close(); // closed already: nothing, and above all not the fresh frame's close
                assertTrue(fresh.isOpen());
                assertEquals(1, stack.depth());
                fresh.allocate(16);
            }
            assertEquals(0, stack.depth());
        }
    }

    @Test
    void framesPushAndPopAcrossTheSerialWrapAndStaleOnesAreStillRefusedAndCloseAsNoOps() {
        try (StackPool pool = StackPool.create(); SegmentedStack stack = pool.newStack()) {
            stack.setNextSerial(-3); // 2^64 - 3: the counter wraps after three more pushes
            List<Frame> closed = new ArrayList<>();
            for (int round = 0; round < 4; round++) { // serials -3 .. 4 at depths 1 and 2, 0 never handed out
                Frame outer = stack.push();
                outer.allocate(100);
                Frame inner = stack.push();
                inner.allocate(9000); // a second segment
                assertEquals(2, stack.depth());
                for (Frame old : closed) {
                    assertFalse(old.isOpen(), "a frame closed before round " + round);
                    assertThrows(IllegalStateException.class, () -> old.allocate(8));
                    old.close(); // closed already: nothing, not the open frame at its depth
                }
                assertEquals(2, stack.depth(), "the refusals and the repeated closes changed nothing");
                assertTrue(outer.isOpen() && inner.isOpen());
                inner.close();
                outer.close();
                closed.add(inner);
                closed.add(outer);
            }
            assertEquals(0, stack.segmentsHeld());
            for (Frame old : closed) { // and with no frame open at all
                assertFalse(old.isOpen());
                assertThrows(IllegalStateException.class, () -> old.allocate(8));
                old.close();
            }
            assertEquals(0, stack.depth());
            // With no frame open, a frame pushed right at the wrap still works.
            stack.setNextSerial(-1);
            for (int i = 0; i < 3; i++) {
                try (Frame frame = stack.push()) {
                    assertTrue(frame.isOpen());
                    frame.allocate(32);
                }
            }
        }
    }
}
