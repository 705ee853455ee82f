package io.segpool.pools;

import io.segpool.allocator.AllocatorConfig;
import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stack keeps the segments its frames' closes empty, up to the pool's per-stack bound, so that a
 * deep recursion that repeats takes none of its segments from the allocator again; the kept
 * segments count in StackInuse and go back on the stack's close, its flush and the pool's trim.
 * The concurrent trim is in {@link StackCacheTrimRaceTest}.
 */
@Timeout(60)
class SegmentCacheTest {

    static final long SEGMENT = SpareSegmentTest.SEGMENT;
    /** 1 KiB frames on 8 KiB segments: a 1024-deep recursion crosses 128 edges (seed 002's StackGrowthDeep). */
    static final int DEPTH = 1024;
    static final int SEGMENTS = (int) (DEPTH * 1024 / SEGMENT);

    /** One 1 KiB frame per level, each with its own pattern, checked after every inner frame closed. */
    static long recurse(SegmentedStack stack, int depth, long salt) {
        try (Frame frame = stack.push()) {
            MemorySegment mine = frame.allocate(1024);
            long pattern = depth * 0x9E37_79B9_7F4A_7C15L ^ salt;
            mine.set(ValueLayout.JAVA_LONG, 0, pattern);
            mine.set(ValueLayout.JAVA_LONG, 1016, ~pattern);
            long below = depth > 1 ? recurse(stack, depth - 1, salt) : 0;
            if (mine.get(ValueLayout.JAVA_LONG, 0) != pattern || mine.get(ValueLayout.JAVA_LONG, 1016) != ~pattern) {
                throw new AssertionError("the frame at depth " + depth + " was written by someone else");
            }
            return below + 1;
        }
    }

    static MemStats stats(StackPool pool) {
        return SpareSegmentTest.stats(pool);
    }

    /** A test body that may throw. */
    interface Body {
        void run() throws Exception;
    }

    /**
     * Runs {@code body} on a platform thread of its own with a 16 MiB Java stack: a 1024-deep
     * recursion of interpreted frames overflows the test thread's default 1 MiB before the JIT
     * compiles it. Rethrows what the body threw.
     */
    static void onBigStack(Body body) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread thread = Thread.ofPlatform().stackSize(16 << 20).start(() -> {
            try {
                body.run();
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        assertTrue(thread.join(Duration.ofSeconds(50)), "the test thread did not finish");
        if (failure.get() instanceof Exception e) {
            throw e;
        } else if (failure.get() instanceof Error e) {
            throw e;
        }
    }

    @Test
    void aRepeatedDeepRecursionTakesNoSegmentFromTheAllocatorAfterTheFirst() throws Exception {
        onBigStack(() -> {
            try (StackPool pool = StackPool.create(SEGMENT); SegmentedStack stack = pool.newStack()) {
                assertEquals(DEPTH, recurse(stack, DEPTH, 1));
                assertEquals(SEGMENTS, stack.segmentsKept(), "every segment the recursion grew into is kept");
                assertEquals(SEGMENTS * SEGMENT, stats(pool).stackInuse(), "kept segments count in StackInuse");
                MemStats before = stats(pool);
                for (int round = 0; round < 50; round++) {
                    assertEquals(DEPTH, recurse(stack, DEPTH, round));
                }
                MemStats after = stats(pool);
                assertEquals(before.mallocs(), after.mallocs(), "no recursion took a segment from the allocator");
                assertEquals(before.frees(), after.frees(), "no close gave one back");
                assertEquals(SEGMENTS * SEGMENT, stack.flush(), "a flush gives every kept segment back");
                assertEquals(0, stack.segmentsKept());
                SpareSegmentTest.assertConserved(pool);
                assertEquals(0, stack.flush(), "a second flush has nothing to give back");
                assertEquals(DEPTH, recurse(stack, DEPTH, 7), "after a flush the stack takes its segments again");
                assertEquals(before.mallocs() + SEGMENTS, stats(pool).mallocs());
                assertEquals(SEGMENTS, stack.segmentsKept());
            }
        });
    }

    /** A bound of four segments: four are kept, the rest go back at every close and come again at every call. */
    @Test
    void theBoundCapsWhatAStackKeeps() throws Exception {
        onBigStack(() -> {
            try (StackPool pool = StackPool.create(SEGMENT, 4 * SEGMENT + SEGMENT / 2, AllocatorConfig.defaults());
                 SegmentedStack stack = pool.newStack()) {
                assertEquals(4 * SEGMENT + SEGMENT / 2, pool.stackCacheBytes());
                recurse(stack, DEPTH, 1);
                assertEquals(4, stack.segmentsKept(), "the bound in whole segments");
                assertEquals(4 * SEGMENT, stats(pool).stackInuse());
                MemStats before = stats(pool);
                recurse(stack, DEPTH, 2);
                MemStats after = stats(pool);
                assertEquals(before.mallocs() + SEGMENTS - 4, after.mallocs(), "four segments came from the stack");
                assertEquals(before.frees() + SEGMENTS - 4, after.frees(), "and all others went back");
                stack.close();
                SpareSegmentTest.assertConserved(pool);
            }
        });
    }

    @Test
    void aBoundOfLessThanASegmentKeepsNone() {
        try (StackPool pool = StackPool.create(SEGMENT, SEGMENT - 1, AllocatorConfig.defaults());
             SegmentedStack stack = pool.newStack()) {
            recurse(stack, 64, 1);
            assertFalse(stack.hasSpare());
            SpareSegmentTest.assertConserved(pool);
            MemStats before = stats(pool);
            recurse(stack, 64, 2);
            assertEquals(before.mallocs() + 8, stats(pool).mallocs(), "every segment from the allocator");
        }
        assertThrows(IllegalArgumentException.class, () -> StackPool.create(SEGMENT, -1, AllocatorConfig.defaults()));
    }

    /**
     * A bound past {@link StackPool#MAX_KEPT_SEGMENTS} segments is refused, naming the value and the
     * rule: a stack's slots are made at its first keep and a trim passes over them, so a huge bound
     * would fail the first frame close that keeps a segment, or make every trim slow.
     */
    @Test
    void aStackCacheOfMoreThanTheMostSegmentsIsRefused() {
        long most = StackPool.MAX_KEPT_SEGMENTS * SEGMENT;
        try (StackPool pool = StackPool.create(SEGMENT, most + SEGMENT - 1, AllocatorConfig.defaults());
             SegmentedStack stack = pool.newStack()) {
            recurse(stack, 64, 3); // the largest bound keeps, frees and trims as any other
            assertEquals(8, stack.segmentsKept());
            pool.trim();
            assertEquals(0, stack.segmentsKept());
        }
        for (long bytes : new long[] {most + SEGMENT, Long.MAX_VALUE}) {
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> StackPool.create(SEGMENT, bytes, AllocatorConfig.defaults()));
            assertTrue(refused.getMessage().contains("stack cache bytes " + bytes)
                    && refused.getMessage().contains("at most " + StackPool.MAX_KEPT_SEGMENTS), refused.getMessage());
        }
    }

    @Test
    void aDebugPoolKeepsNoneWhateverTheBound() {
        try (StackPool pool = StackPool.create(SEGMENT, 1 << 20, AllocatorConfig.defaults().withDebug(true));
             SegmentedStack stack = pool.newStack()) {
            recurse(stack, 64, 1);
            assertFalse(stack.hasSpare());
            SpareSegmentTest.assertConserved(pool);
        }
    }

    @Test
    void aZeroedPoolHandsOutEveryKeptSegmentZeroed() {
        try (StackPool pool = StackPool.create(SEGMENT, AllocatorConfig.defaults().withZeroed(true));
             SegmentedStack stack = pool.newStack()) {
            try (Frame frame = stack.push()) {
                for (int i = 0; i < 4; i++) {
                    frame.allocate(SEGMENT).fill((byte) 0x5A);
                }
            }
            assertEquals(4, stack.segmentsKept());
            long mallocs = stats(pool).mallocs();
            try (Frame frame = stack.push()) {
                for (int i = 0; i < 4; i++) {
                    MemorySegment whole = frame.allocate(SEGMENT);
                    assertEquals(-1, whole.mismatch(MemorySegment.ofArray(new byte[(int) SEGMENT])), "every byte zero");
                }
            }
            assertEquals(mallocs, stats(pool).mallocs(), "all four came from the stack");
        }
    }

    @Test
    void theKeptSegmentsGoBackOnTheStacksCloseAndOnATrimFromAnotherThread() throws Exception {
        onBigStack(() -> {
            try (StackPool pool = StackPool.create(SEGMENT)) {
                SegmentedStack stack = pool.newStack();
                recurse(stack, DEPTH, 1);
                stack.close();
                SpareSegmentTest.assertConserved(pool);

                SegmentedStack kept = pool.newStack();
                recurse(kept, DEPTH, 2);
                assertEquals(SEGMENTS * SEGMENT, stats(pool).stackInuse());
                Thread trimmer = Thread.ofPlatform().start(pool::trim);
                assertTrue(trimmer.join(java.time.Duration.ofSeconds(30)), "the trim did not finish");
                assertEquals(0, kept.segmentsKept(), "the trim took every kept segment");
                SpareSegmentTest.assertConserved(pool);
                assertEquals(DEPTH, recurse(kept, DEPTH, 3), "the stack is still usable");
                assertEquals(SEGMENTS, kept.segmentsKept());
                kept.close();
                SpareSegmentTest.assertConserved(pool);
            }
        });
    }

    /** A trim that stole the kept segments while frames are open: the stack takes new ones past the holes. */
    @Test
    void aTrimBetweenRecursionsLeavesHolesTheStackPassesOver() {
        try (StackPool pool = StackPool.create(SEGMENT); SegmentedStack stack = pool.newStack()) {
            try (Frame outer = stack.push()) {
                outer.allocate(SEGMENT - 16);
                recurse(stack, 64, 1); // keeps 8 segments above the outer frame's
                pool.trim(); // steals all 8
                assertEquals(0, stack.segmentsKept());
                long mallocs = stats(pool).mallocs();
                recurse(stack, 64, 2);
                assertEquals(mallocs + 8, stats(pool).mallocs(), "the stolen ones were not used again");
                assertEquals(8, stack.segmentsKept());
            }
            assertEquals(9, stack.segmentsKept());
            stack.close();
            SpareSegmentTest.assertConserved(pool);
        }
    }
}
