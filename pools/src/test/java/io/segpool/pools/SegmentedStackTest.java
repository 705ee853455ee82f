package io.segpool.pools;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@org.junit.jupiter.api.Timeout(60)
class SegmentedStackTest {

    @Test
    void allocationsBumpInsideASegmentAndSpillToTheNext() {
        try (StackPool pool = StackPool.create(8192); SegmentedStack stack = pool.newStack()) {
            try (Frame frame = stack.push()) {
                MemorySegment a = frame.allocate(1000);
                MemorySegment b = frame.allocate(1000);
                assertEquals(a.address() + 1008, b.address(), "16-byte aligned bump");
                assertEquals(1, stack.segmentsHeld());
                frame.allocate(8192 - 2016 - 8); // fills the first segment up to its last 8 bytes
                MemorySegment next = frame.allocate(16);
                assertEquals(2, stack.segmentsHeld(), "16 bytes did not fit in 8, so a second segment");
                assertEquals(0, next.address() % StackPool.PAGE, "a new segment starts on a page");
            }
            assertEquals(0, stack.segmentsHeld(), "closing the outermost frame empties the stack");
            assertEquals(2, stack.segmentsKept(), "both emptied segments are kept for the next frames");
            assertEquals(2 * 8192, inuse(pool), "the kept segments count in StackInuse");
            assertEquals(2 * 8192, stack.flush(), "they go back on flush");
            assertEquals(0, inuse(pool));
        }
    }

    @Test
    void closingAFrameRewindsAndGivesBackOnlyTheSegmentsItEmptied() {
        try (StackPool pool = StackPool.create(8192); SegmentedStack stack = pool.newStack()) {
            try (Frame outer = stack.push()) {
                MemorySegment kept = outer.allocate(6000);
                try (Frame inner = stack.push()) {
                    inner.allocate(6000);
                    inner.allocate(6000);
                    assertEquals(3, stack.segmentsHeld());
                    assertEquals(3 * 8192, inuse(pool));
                }
                assertEquals(1, stack.segmentsHeld());
                assertEquals(3 * 8192, inuse(pool), "the outer frame's segment, and the two emptied, kept for the"
                        + " next frames, which count in StackInuse");
                assertEquals(2, stack.segmentsKept());
                MemorySegment again = outer.allocate(100);
                assertEquals(kept.address() + 6000, again.address(), "the outer frame bumps on where it was");
            }
            assertEquals(3 * 8192, inuse(pool), "the outer frame's segment is kept too: the cache has room");
            assertEquals(3, stack.segmentsKept());
            assertEquals(3 * 8192, stack.flush());
            assertEquals(0, inuse(pool));
        }
    }

    @Test
    void anAllocationLargerThanASegmentGetsItsOwnBlockFreedWithItsFrame() {
        try (StackPool pool = StackPool.create(8192); SegmentedStack stack = pool.newStack()) {
            try (Frame frame = stack.push()) {
                frame.allocate(100);
                MemorySegment big = frame.allocate(100_000);
                big.fill((byte) 7);
                assertEquals(100_000, big.byteSize());
                MemorySegment aligned = frame.allocate(64, 65536);
                assertEquals(0, aligned.address() % 65536);
                assertEquals(1, stack.segmentsHeld(), "neither took a segment");
                assertTrue(inuse(pool) >= 8192 + 100_000 + 64);
            }
            assertEquals(8192, inuse(pool), "the big blocks went back with their frame; the segment is the spare");
        }
    }

    /** Frames of random sizes, each filled with its own pattern and checked after every inner frame closed. */
    @Test
    void deepRandomFramesKeepTheirBytes() {
        SplittableRandom random = new SplittableRandom(42);
        try (StackPool pool = StackPool.create(4096); SegmentedStack stack = pool.newStack()) {
            for (int round = 0; round < 200; round++) {
                recurse(stack, random, 1 + random.nextInt(300));
                assertEquals(0, stack.depth());
                assertEquals(0, stack.segmentsHeld());
                assertEquals(stack.segmentsKept() * 4096L, inuse(pool), "only the kept segments are left, counted in"
                        + " StackInuse");
                assertTrue(inuse(pool) <= StackPool.DEFAULT_STACK_CACHE_BYTES, "no more than the bound is kept");
            }
        }
    }

    private static void recurse(SegmentedStack stack, SplittableRandom random, int depth) {
        try (Frame frame = stack.push()) {
            long size = random.nextInt(10) == 0 ? 4096 + random.nextInt(20_000) : 1 + random.nextInt(3000);
            MemorySegment mine = frame.allocate(size);
            byte pattern = (byte) depth;
            mine.fill(pattern);
            if (depth > 1) {
                recurse(stack, random, depth - 1);
            }
            assertEquals(frame.depth(), stack.depth());
            for (long i = 0; i < size; i += 97) {
                assertEquals(pattern, mine.get(ValueLayout.JAVA_BYTE, i), "frame at depth " + frame.depth());
            }
            assertEquals(pattern, mine.get(ValueLayout.JAVA_BYTE, size - 1));
        }
    }

    @Test
    void aVirtualThreadGetsAStackToo() throws Exception {
        try (StackPool pool = StackPool.create()) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread thread = Thread.ofVirtual().start(() -> {
                try (SegmentedStack stack = pool.newStack()) {
                    recurse(stack, new SplittableRandom(7), 50);
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            assertTrue(thread.join(java.time.Duration.ofSeconds(30)), "the virtual thread did not finish");
            assertNull(failure.get());
            assertEquals(0, inuse(pool));
        }
    }

    @Test
    void closingTheStackClosesItsFramesAndFreesEverything() {
        try (StackPool pool = StackPool.create()) {
            SegmentedStack stack = pool.newStack();
            Frame outer = stack.push();
            outer.allocate(5000);
            Frame inner = stack.push();
            inner.allocate(50_000);
            stack.close();
            stack.close(); // idempotent
            assertFalse(outer.isOpen());
            assertFalse(inner.isOpen());
            assertEquals(0, inuse(pool));
            assertThrows(IllegalStateException.class, stack::push);
        }
    }

    /** {@return the bytes of the segments {@code stack} keeps, which count in StackInuse} */
    static long spare(SegmentedStack stack) {
        return stack.segmentsKept() * stack.pool().segmentSize();
    }

    static long inuse(StackPool pool) {
        MemStats stats = new MemStats();
        pool.readPoolStats(stats);
        return stats.stackInuse();
    }
}
