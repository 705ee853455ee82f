package io.segpool.pools;

import io.segpool.allocator.AllocatorConfig;
import io.segpool.allocator.MemoryLimitException;
import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pools take an AllocatorConfig for their own allocator: name, memory limit and debug reach it. */
class PoolConfigTest {

    private static final long LIMIT = 1L << 20;

    @Test
    void theDefaultsStayAsTheyWere() {
        try (StackPool stacks = StackPool.create(); DeferPool defers = DeferPool.create()) {
            assertEquals(AllocatorConfig.defaults(), stacks.config());
            assertEquals(StackPool.defaultConfig(), stacks.config(), "create() is create(defaultConfig())");
            assertTrue(stacks.config().checkFrees(), "stack segments come back from user code: free checks on");
            assertFalse(defers.config().checkFrees(), "defer blocks never leave the pool: no free checks");
            assertEquals(DeferPool.defaultConfig(), defers.config(), "create() is create(defaultConfig())");
            assertTrue(stacks.name().startsWith("segpool-") && defers.name().startsWith("segpool-"));
        }
        assertThrows(NullPointerException.class, () -> StackPool.create(null));
        assertThrows(NullPointerException.class, () -> DeferPool.create(null));
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                () -> StackPool.create(3000, AllocatorConfig.defaults()));
        assertTrue(size.getMessage().contains("3000"), size.getMessage());
    }

    @Test
    void aStackPoolsMemoryLimitRefusesAPushsAllocationPastItAndItsNameIsItsAllocators() {
        try (StackPool pool = StackPool.create(16 * 1024, AllocatorConfig.defaults().withName("stacks-limited")
                .withMemoryLimit(LIMIT)); SegmentedStack stack = pool.newStack()) {
            assertEquals("stacks-limited", pool.name());
            assertEquals(16 * 1024, pool.segmentSize());
            int segments = 0;
            try (Frame frame = stack.push()) {
                MemoryLimitException refused = null;
                while (refused == null && segments < 1000) {
                    try {
                        frame.allocate(16 * 1024);
                        segments++;
                    } catch (MemoryLimitException e) {
                        refused = e;
                    }
                }
                assertTrue(refused != null && segments > 0, segments + " segments before the limit");
                MemStats stats = new MemStats();
                pool.readMemStats(stats);
                assertTrue(stats.sys() - stats.released() <= LIMIT, stats.toString());
            }
            try (Frame again = stack.push()) {
                again.allocate(16 * 1024); // the closed frame's segments came back
            }
        }
    }

    /** A stack takes its segments one byte short of a segment (see StackPool.segmentRequest): the last byte is zeroed too. */
    @Test
    void aZeroedStackPoolHandsEveryByteOfASegmentOutZeroed() {
        try (StackPool pool = StackPool.create(AllocatorConfig.defaults().withZeroed(true));
             SegmentedStack stack = pool.newStack()) {
            long segment = pool.segmentSize();
            long address;
            try (Frame frame = stack.push()) {
                MemorySegment whole = frame.allocate(segment);
                address = whole.address();
                whole.fill((byte) 0x5A);
            }
            try (Frame frame = stack.push()) {
                MemorySegment again = frame.allocate(segment);
                assertEquals(address, again.address(), "the ring hands the same segment back");
                for (long i = 0; i < segment; i++) {
                    assertEquals(0, again.get(ValueLayout.JAVA_BYTE, i), "byte " + i);
                }
            }
        }
    }

    @Test
    void aStackPoolInDebugModeCatchesASegmentWrittenAfterItWentBack() {
        try (StackPool pool = StackPool.create(AllocatorConfig.defaults().withDebug(true))) {
            MemorySegment segment = pool.allocate();
            MemorySegment stale = MemorySegment.ofAddress(segment.address()).reinterpret(segment.byteSize());
            pool.free(segment);
            stale.set(ValueLayout.JAVA_LONG, 64, 42);
            IllegalStateException caught = assertThrows(IllegalStateException.class, pool::allocate);
            assertTrue(caught.getMessage().contains("write after free"), caught.getMessage());
        }
    }

    @Test
    void aDeferPoolsMemoryLimitRefusesADeferPastItWithNothingChanged() {
        try (DeferPool pool = DeferPool.create(DeferPool.defaultConfig().withName("defers-limited")
                .withMemoryLimit(LIMIT)); Arena arena = Arena.ofConfined()) {
            assertEquals("defers-limited", pool.name());
            assertFalse(pool.config().checkFrees());
            int[] ran = new int[1];
            int handler = pool.register(args -> ran[0]++);
            MemorySegment arguments = arena.allocate(DeferBlocks.MAX_ARGS);
            try (DeferScope scope = pool.newScope()) {
                MemoryLimitException refused = null;
                while (refused == null && scope.pending() < 1000) {
                    int before = scope.pending();
                    try {
                        scope.defer(handler, arguments);
                    } catch (MemoryLimitException e) {
                        refused = e;
                        assertEquals(before, scope.pending(), "the refused defer is not pending");
                    }
                }
                assertTrue(refused != null && scope.pending() > 0, scope.pending() + " defers before the limit");
                int pending = scope.pending();
                scope.runDeferred();
                assertEquals(pending, ran[0]);
                scope.defer(handler, arguments); // the run defers' blocks came back
            }
        }
    }
}
