package io.segpool.pools;

import io.segpool.allocator.AllocatorConfig;
import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stack keeps the segment a frame's close empties as its spare, and the next frame that crosses
 * the same edge takes it back without calling the allocator; the spare counts in StackInuse and
 * goes back on the stack's close, its flush and the pool's trim. The concurrent trim is in
 * {@link StackCacheTrimRaceTest}.
 */
@Timeout(60)
class SpareSegmentTest {

    static final long SEGMENT = 8192;
    private static final int CROSSINGS = 20_000;

    /** An outer frame that fills its segment but for 16 bytes: every 1 KiB inner frame then crosses an edge. */
    static Frame atTheEdge(SegmentedStack stack) {
        Frame outer = stack.push();
        outer.allocate(SEGMENT - 16);
        return outer;
    }

    /** One inner frame that takes a new segment, writes its bytes and checks them, and closes. */
    static long cross(SegmentedStack stack, long pattern) {
        try (Frame inner = stack.push()) {
            MemorySegment bytes = inner.allocate(1024);
            bytes.set(ValueLayout.JAVA_LONG, 0, pattern);
            bytes.set(ValueLayout.JAVA_LONG, 1016, ~pattern);
            if (bytes.get(ValueLayout.JAVA_LONG, 0) != pattern || bytes.get(ValueLayout.JAVA_LONG, 1016) != ~pattern) {
                throw new AssertionError("a frame's segment is written by someone else");
            }
            return bytes.address();
        }
    }

    static MemStats stats(StackPool pool) {
        MemStats stats = new MemStats();
        pool.readMemStats(stats);
        return stats;
    }

    @Test
    void aFrameCrossingAnEdgeReusesTheSpareAndCallsNoAllocator() {
        try (StackPool pool = StackPool.create(SEGMENT); SegmentedStack stack = pool.newStack();
             Frame outer = atTheEdge(stack)) {
            long first = cross(stack, 1); // takes the second segment from the pool; its close keeps it
            assertTrue(stack.hasSpare());
            MemStats before = stats(pool);
            for (int i = 0; i < CROSSINGS; i++) {
                assertEquals(first, cross(stack, i), "the spare is the segment the next crossing takes");
            }
            MemStats after = stats(pool);
            assertEquals(before.mallocs(), after.mallocs(), "no crossing took a segment from the allocator");
            assertEquals(before.frees(), after.frees(), "no close gave one back");
            assertEquals(2 * SEGMENT, after.stackInuse(), "the outer frame's segment and the spare");
            assertTrue(outer.isOpen());
        }
    }

    /** The control: debug mode keeps no spare, so the same loop calls the allocator on every crossing. */
    @Test
    void aDebugPoolKeepsNoSpareAndItsAllocatorSeesEveryCrossing() {
        try (StackPool pool = StackPool.create(SEGMENT, StackPool.defaultConfig().withDebug(true));
             SegmentedStack stack = pool.newStack(); Frame outer = atTheEdge(stack)) {
            cross(stack, 1);
            assertFalse(stack.hasSpare());
            assertEquals(SEGMENT, stats(pool).stackInuse(), "only the outer frame's segment");
            MemStats before = stats(pool);
            for (int i = 0; i < 1000; i++) {
                cross(stack, i);
            }
            MemStats after = stats(pool);
            assertEquals(before.mallocs() + 1000, after.mallocs(), "one segment taken per crossing");
            assertEquals(before.frees() + 1000, after.frees(), "one given back per close");
            assertEquals(0, stack.flush(), "nothing to flush");
            assertTrue(outer.isOpen());
        }
    }

    /** Debug mode still catches a write through a closed frame's segment: the allocator's poison check. */
    @Test
    void aDebugPoolCatchesAWriteThroughTheSegmentAClosedFrameEmptied() {
        try (StackPool pool = StackPool.create(SEGMENT, StackPool.defaultConfig().withDebug(true));
             SegmentedStack stack = pool.newStack(); Frame outer = atTheEdge(stack)) {
            MemorySegment stale;
            try (Frame inner = stack.push()) {
                stale = inner.allocate(64);
            }
            stale.set(ValueLayout.JAVA_LONG, 8, 42); // after the close gave the segment back
            try (Frame next = stack.push()) {
                IllegalStateException caught = assertThrows(IllegalStateException.class, () -> next.allocate(64));
                assertTrue(caught.getMessage().contains("after"), caught.getMessage());
            }
            assertTrue(outer.isOpen());
        }
    }

    @Test
    void aZeroedPoolHandsOutTheSpareZeroed() {
        try (StackPool pool = StackPool.create(SEGMENT, StackPool.defaultConfig().withZeroed(true));
             SegmentedStack stack = pool.newStack(); Frame outer = atTheEdge(stack)) {
            long spare;
            try (Frame inner = stack.push()) {
                MemorySegment whole = inner.allocate(SEGMENT);
                spare = whole.address();
                whole.fill((byte) 0x5A);
            }
            assertTrue(stack.hasSpare());
            long mallocs = stats(pool).mallocs();
            try (Frame inner = stack.push()) {
                MemorySegment whole = inner.allocate(SEGMENT);
                assertEquals(spare, whole.address(), "the spare came back");
                assertEquals(mallocs, stats(pool).mallocs(), "from the stack, not the allocator");
                assertEquals(-1, whole.mismatch(MemorySegment.ofArray(new byte[(int) SEGMENT])), "every byte zero");
            }
            assertTrue(outer.isOpen());
        }
    }

    @Test
    void theSpareGoesBackOnTheStacksClose() {
        try (StackPool pool = StackPool.create(SEGMENT)) {
            SegmentedStack stack = pool.newStack();
            atTheEdge(stack);
            cross(stack, 7);
            assertEquals(2 * SEGMENT, stats(pool).stackInuse());
            stack.close();
            assertConserved(pool);
        }
    }

    @Test
    void theSpareGoesBackOnFlushAndTheNextCrossingTakesANewSegment() {
        try (StackPool pool = StackPool.create(SEGMENT); SegmentedStack stack = pool.newStack()) {
            Frame outer = atTheEdge(stack);
            cross(stack, 7);
            assertEquals(SEGMENT, stack.flush());
            assertFalse(stack.hasSpare());
            assertEquals(SEGMENT, stats(pool).stackInuse(), "the outer frame's segment only");
            assertEquals(0, stack.flush(), "a second flush has nothing to give back");
            long mallocs = stats(pool).mallocs();
            cross(stack, 8);
            assertEquals(mallocs + 1, stats(pool).mallocs(), "the crossing after a flush takes a segment");
            assertTrue(stack.hasSpare(), "and its close keeps it");
            outer.close();
            assertEquals(2 * SEGMENT, stats(pool).stackInuse(), "the outer frame's segment is kept too");
            assertEquals(2 * SEGMENT, stack.flush());
            assertConserved(pool);
            stack.close();
            assertThrows(IllegalStateException.class, stack::flush, "a closed stack refuses a flush");
        }
    }

    /** The pool's trim, on another thread than the stack's, takes the spare back. */
    @Test
    void thePoolsTrimFromAnotherThreadTakesTheSpare() throws Exception {
        try (StackPool pool = StackPool.create(SEGMENT); SegmentedStack stack = pool.newStack()) {
            Frame outer = atTheEdge(stack);
            cross(stack, 7);
            outer.close(); // the stack holds only the two segments it keeps now
            assertEquals(2 * SEGMENT, stats(pool).stackInuse());
            Thread trimmer = Thread.ofPlatform().start(pool::trim);
            assertTrue(trimmer.join(java.time.Duration.ofSeconds(30)), "the trim did not finish");
            assertFalse(stack.hasSpare(), "the trim took the spare");
            assertConserved(pool);
            cross(stack, 9); // the stack is still usable: it takes a segment from the pool again
            assertTrue(stack.hasSpare());
        }
    }

    /** A stack its thread dropped unclosed, its frames all closed: the pool's trim still takes its spare back. */
    @Test
    void theSpareOfAStackDroppedUnclosedGoesBackOnTrim() throws Exception {
        try (StackPool pool = StackPool.create(SEGMENT)) {
            Thread thread = Thread.ofPlatform().start(() -> {
                SegmentedStack stack = pool.newStack(); // never closed
                try (Frame outer = atTheEdge(stack)) {
                    cross(stack, 3);
                }
                stack.flush();
                cross(stack, 4); // a frame on the empty stack: its close keeps a new spare
            });
            assertTrue(thread.join(java.time.Duration.ofSeconds(30)), "the thread did not finish");
            assertEquals(SEGMENT, stats(pool).stackInuse(), "the dropped stack's spare");
            pool.trim();
            assertConserved(pool);
        }
    }

    @Test
    void aVirtualThreadsStackKeepsASpareToo() throws Exception {
        try (StackPool pool = StackPool.create(SEGMENT)) {
            java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
            Thread thread = Thread.ofVirtual().start(() -> {
                try (SegmentedStack stack = pool.newStack(); Frame outer = atTheEdge(stack)) {
                    long first = cross(stack, 1);
                    long mallocs = stats(pool).mallocs();
                    for (int i = 0; i < 1000; i++) {
                        assertEquals(first, cross(stack, i));
                    }
                    assertEquals(mallocs, stats(pool).mallocs());
                    assertTrue(outer.isOpen());
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            assertTrue(thread.join(java.time.Duration.ofSeconds(30)), "the virtual thread did not finish");
            assertEquals(null, failure.get());
            assertConserved(pool);
        }
    }

    /** Every segment back: StackInuse 0, and as many frees as mallocs. */
    static void assertConserved(StackPool pool) {
        MemStats stats = stats(pool);
        assertEquals(0, stats.stackInuse(), "StackInuse");
        assertEquals(stats.mallocs(), stats.frees(), "every segment taken was given back once");
    }
}
