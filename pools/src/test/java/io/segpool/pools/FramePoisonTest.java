package io.segpool.pools;

import io.segpool.allocator.AllocatorConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A closed frame's segments stay accessible (closing a frame invalidates nothing), so a stale one
 * reads and writes the next frame's bytes. Without debug mode that is silent; in debug mode the
 * close poisons the bytes (a stale read sees POISON) and the next allocation over them throws if
 * any was written.
 */
@Timeout(60)
class FramePoisonTest {

    private static StackPool debugPool() {
        return StackPool.create(StackPool.defaultConfig().withDebug(true));
    }

    private static boolean allPoison(MemorySegment segment) {
        for (long at = 0; at + Long.BYTES <= segment.byteSize(); at += Long.BYTES) {
            if (segment.get(JAVA_LONG, at) != AllocatorConfig.POISON) {
                return false;
            }
        }
        return true;
    }

    @Test
    void withoutDebugAStaleSegmentSilentlyReadsAndWritesTheNextFramesBytes() {
        try (StackPool pool = StackPool.create(); SegmentedStack stack = pool.newStack(); Frame outer = stack.push()) {
            outer.allocate(16); // holds the segment, as any enclosing frame does
            MemorySegment stale;
            try (Frame frame = stack.push()) {
                stale = frame.allocate(64);
                stale.fill((byte) 0x11);
            }
            assertEquals(0x11, stale.get(JAVA_BYTE, 0), "closing the frame invalidated nothing");
            try (Frame next = stack.push()) {
                MemorySegment fresh = next.allocate(64);
                assertEquals(stale.address(), fresh.address(), "the next frame bumps over the same bytes");
                stale.set(JAVA_LONG, 0, 42);
                assertEquals(42, fresh.get(JAVA_LONG, 0), "a stale write lands in the next frame's memory");
            }
        }
    }

    @Test
    void aStaleReadSeesPoisonAndAStaleWriteIsCaughtByTheNextAllocationOverIt() {
        try (StackPool pool = debugPool(); SegmentedStack stack = pool.newStack(); Frame outer = stack.push()) {
            outer.allocate(16); // holds the segment: the inner frames' bytes stay in the stack
            MemorySegment stale;
            try (Frame frame = stack.push()) {
                stale = frame.allocate(256);
                stale.fill((byte) 0x11);
            }
            assertTrue(allPoison(stale), "the close poisoned every byte the frame used");
            assertEquals(AllocatorConfig.POISON, stale.get(JAVA_LONG, 0));

            stale.set(JAVA_BYTE, 200, (byte) 7); // a write through a segment whose frame is closed
            try (Frame next = stack.push()) {
                assertEquals(stale.address(), next.allocate(64).address(), "before the stale byte: nothing to see");
                IllegalStateException caught = assertThrows(IllegalStateException.class, () -> next.allocate(192));
                assertTrue(caught.getMessage().contains("written after the frame that held it closed"),
                        caught.getMessage());
                assertTrue(caught.getMessage().contains(Long.toHexString(stale.address() + 200)), caught.getMessage());
                MemorySegment retried = next.allocate(192); // poisoned again: the stack stays usable
                assertEquals(stale.address() + 64, retried.address(), "the refusal changed nothing");
                assertTrue(allPoison(retried), "a frame's fresh bytes read poison in debug mode");
            }
        }
    }

    @Test
    void aSegmentTheFrameEmptiedGoesBackToThePoolWhoseOwnDebugCheckCatchesAStaleWrite() {
        try (StackPool pool = debugPool(); SegmentedStack stack = pool.newStack()) {
            MemorySegment stale;
            try (Frame frame = stack.push()) {
                stale = frame.allocate(256);
            }
            assertEquals(0, stack.segmentsHeld(), "the frame emptied its segment: it went back to the pool");
            assertTrue(allPoison(stale), "the allocator poisoned the freed segment");
            stale.set(JAVA_BYTE, 200, (byte) 7);
            try (Frame next = stack.push()) {
                IllegalStateException caught = assertThrows(IllegalStateException.class, () -> next.allocate(64));
                assertTrue(caught.getMessage().contains("after it was freed"), caught.getMessage());
            }
        }
    }

    @Test
    void anInnerFramesClosePoisonsOnlyItsOwnBytes() {
        try (StackPool pool = debugPool(); SegmentedStack stack = pool.newStack()) {
            try (Frame outer = stack.push()) {
                MemorySegment kept = outer.allocate(128);
                kept.fill((byte) 0x22);
                MemorySegment stale;
                try (Frame inner = stack.push()) {
                    stale = inner.allocate(128);
                    stale.fill((byte) 0x33);
                }
                assertTrue(allPoison(stale));
                for (long at = 0; at < kept.byteSize(); at++) {
                    assertEquals(0x22, kept.get(JAVA_BYTE, at), "the outer frame's bytes are its own still");
                }
                MemorySegment again = outer.allocate(128); // over the inner frame's poison, unwritten: fine
                assertEquals(stale.address(), again.address());
            }
        }
    }

    @Test
    void aFrameThatWentOnIntoANewSegmentPoisonsWhatItUsedInTheOldOne() {
        try (StackPool pool = debugPool(); SegmentedStack stack = pool.newStack()) {
            try (Frame outer = stack.push()) {
                outer.allocate(1000);
                MemorySegment stale;
                try (Frame inner = stack.push()) {
                    stale = inner.allocate(3000);              // in the first segment
                    stale.fill((byte) 0x44);
                    inner.allocate(StackPool.DEFAULT_SEGMENT_SIZE - 1000); // does not fit: a second segment
                    assertEquals(2, stack.segmentsHeld());
                }
                assertEquals(1, stack.segmentsHeld(), "the second segment went back");
                assertTrue(allPoison(stale), "the first segment's part of the inner frame is poisoned");
                stale.set(JAVA_LONG, 2000, 9);
                long address = outer.allocateAddress(1000); // before the stale write
                assertEquals(stale.address(), address);
                assertThrows(IllegalStateException.class, () -> outer.allocateAddress(2000),
                        "the bump over the stale write throws, by address too");
            }
        }
    }

    @Test
    void aDebugStackStillReturnsEveryByte() {
        try (StackPool pool = debugPool(); SegmentedStack stack = pool.newStack()) {
            for (int round = 0; round < 100; round++) {
                try (Frame frame = stack.push()) {
                    for (int i = 0; i < 20; i++) {
                        frame.allocate(700).fill((byte) i);
                    }
                    frame.allocate(20_000).fill((byte) 1); // a big block of its own
                }
            }
            assertEquals(0, stack.depth());
            stack.close();
            assertEquals(0, SegmentedStackTest.inuse(pool), "every segment and block went back");
        }
    }
}
