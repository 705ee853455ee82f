package io.segpool.allocator;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.util.function.LongUnaryOperator;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hot paths make no garbage: once the JIT has compiled them, a million allocate/write/read/free
 * pairs on each way in leave (almost) nothing on the Java heap, measured by the thread's own
 * allocation counter ({@code com.sun.management.ThreadMXBean}). The segments are removed by escape
 * analysis, which only the compiled code does, so each path runs warm-up rounds first; a path gets
 * a few measured rounds, since a recompilation can land in one. Virtual threads have no allocation
 * counter of their own: their paths are measured in JMH ({@code VirtualThreadBenchmark -prof gc}).
 */
class HeapAllocationTest {

    private static final int PAIRS = 1_000_000;
    private static final int WARM_UP_ROUNDS = 8;
    private static final int MEASURED_ROUNDS = 4;
    /** Bytes a million pairs may leave: a few stray objects of the harness, not one per pair. */
    private static final long ALMOST_NOTHING = 64 * 1024;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @Test
    void aMillionPairsOnEveryPathAllocateNothingOnTheHeap() {
        try (NativeAllocator checked = NativeAllocator.create();
             NativeAllocator unchecked = NativeAllocator.create(AllocatorConfig.defaults().withCheckFrees(false))) {
            ThreadCache cache = checked.threadCache();
            ThreadCache uncheckedCache = unchecked.threadCache();
            assertNoGarbage("allocator.allocate/free", value -> {
                MemorySegment s = checked.allocate(64);
                s.set(ValueLayout.JAVA_LONG, 0, value);
                long r = s.get(ValueLayout.JAVA_LONG, 0);
                checked.free(s);
                return r;
            });
            assertNoGarbage("held ThreadCache", value -> {
                MemorySegment s = cache.allocate(64);
                s.set(ValueLayout.JAVA_LONG, 0, value);
                long r = s.get(ValueLayout.JAVA_LONG, 0);
                cache.free(s);
                return r;
            });
            assertNoGarbage("held ThreadCache, unchecked", value -> {
                MemorySegment s = uncheckedCache.allocate(64);
                s.set(ValueLayout.JAVA_LONG, 0, value);
                long r = s.get(ValueLayout.JAVA_LONG, 0);
                uncheckedCache.free(s);
                return r;
            });
            assertNoGarbage("address API + segment()", value -> {
                long a = cache.allocateAddress(64);
                MemorySegment s = checked.segment(a, 64);
                s.set(ValueLayout.JAVA_LONG, 0, value);
                long r = s.get(ValueLayout.JAVA_LONG, 0);
                cache.freeAddress(a, 64);
                return r;
            });
            // The small classes keep their state in the byte table, and blocks of 80 B and other classes
            // that are not multiples of 64 start at 16, 32 or 48 past a 64-byte line: the view's fast
            // test must know them too, or the view is made out of line and escapes. Two neighbouring
            // blocks per round: at most one of them starts on a 64-byte line.
            for (long size : new long[] {16, 32, 48, 80, 208}) {
                assertNoGarbage("address API + segment(), " + size + " B", value -> {
                    long a = cache.allocateAddress(size);
                    long b = cache.allocateAddress(size);
                    MemorySegment s = checked.segment(a, size);
                    MemorySegment t = checked.segment(b, size);
                    s.set(ValueLayout.JAVA_LONG, 0, value);
                    t.set(ValueLayout.JAVA_LONG, size - 8, value);
                    long r = s.get(ValueLayout.JAVA_LONG, 0) + t.get(ValueLayout.JAVA_LONG, size - 8) - value;
                    cache.freeAddress(b, size);
                    cache.freeAddress(a, size);
                    return r;
                });
            }
            assertNoGarbage("aligned allocate", value -> {
                MemorySegment s = checked.allocate(64, 64);
                s.set(ValueLayout.JAVA_LONG, 0, value);
                long r = s.get(ValueLayout.JAVA_LONG, 0);
                checked.free(s);
                return r;
            });
        }
    }

    private static void assertNoGarbage(String path, LongUnaryOperator pair) {
        for (int round = 0; round < WARM_UP_ROUNDS; round++) {
            run(pair);
        }
        long best = Long.MAX_VALUE;
        for (int round = 0; round < MEASURED_ROUNDS && best > ALMOST_NOTHING; round++) {
            long before = THREADS.getCurrentThreadAllocatedBytes();
            run(pair);
            best = Math.min(best, THREADS.getCurrentThreadAllocatedBytes() - before);
        }
        System.out.printf("heap bytes for %,d pairs, %s: %,d%n", PAIRS, path, best);
        assertTrue(best <= ALMOST_NOTHING, path + ": " + best + " heap bytes for " + PAIRS + " pairs");
    }

    private static void run(LongUnaryOperator pair) {
        long sum = 0;
        for (int i = 0; i < PAIRS; i++) {
            sum += pair.applyAsLong(i);
        }
        if (sum != (long) PAIRS * (PAIRS - 1) / 2) {
            throw new AssertionError("a write was lost: sum " + sum);
        }
    }
}
