package io.segpool.pools;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.util.function.LongUnaryOperator;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which of the pools' per-order call forms make garbage on the calling thread, measured with its
 * own allocation counter ({@code com.sun.management.ThreadMXBean}) over 200,000 calls of each
 * form, after warm-up rounds that let the JIT compile it (escape analysis, which removes the
 * segments, is the compiled code's). A form gets a few measured rounds, the best kept, since a
 * recompilation can land in one.
 *
 * <p>The defer forms and the argument reads make nothing: their segments are the scope's own,
 * reused, whether or not the JIT inlines them into the caller (a view made per read, or a slice
 * per tail clear, was a heap object wherever a handler or {@code defer} was not inlined, as in a
 * scope that runs several handlers). A form that opens a {@link Frame} may leave one object per
 * call, the frame itself, where the JIT does not inline the frame's methods into the caller
 * (it escapes as their receiver), and a segment {@code allocate} returns is a heap object where
 * that call is not inlined (a returned object cannot be removed); the test bounds each form by
 * the objects it makes through the API, so that nothing the pools make behind them passes.
 */
@Timeout(120)
class PoolsGarbageTest {

    private static final int CALLS = 200_000;
    private static final int WARM_UP_ROUNDS = 10;
    private static final int MEASURED_ROUNDS = 4;
    /** Bytes 200,000 calls may leave: a few stray objects of the harness, not one per call. */
    private static final long ALMOST_NOTHING = 16 * 1024;
    /** Bytes of the objects the API hands out, which escape analysis may fail to remove: a frame, a segment. */
    private static final long FRAME = 32;
    private static final long SEGMENT = 40;

    /**
     * {@code com.sun.management.ThreadMXBean.getCurrentThreadAllocatedBytes()}, found reflectively:
     * this module does not read {@code jdk.management} (reflection needs no read edge).
     */
    private static final java.lang.invoke.MethodHandle ALLOCATED_BYTES = allocatedBytes();

    private static java.lang.invoke.MethodHandle allocatedBytes() {
        try {
            Class<?> bean = Class.forName("com.sun.management.ThreadMXBean");
            return java.lang.invoke.MethodHandles.publicLookup()
                    .findVirtual(bean, "getCurrentThreadAllocatedBytes", java.lang.invoke.MethodType.methodType(long.class))
                    .bindTo(ManagementFactory.getThreadMXBean());
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("this JVM has no per-thread allocation counter", e);
        }
    }

    private static long allocated() {
        try {
            return (long) ALLOCATED_BYTES.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static long sum;

    @Test
    void eachFormsBytesPerCall() {
        try (StackPool stacks = StackPool.create(); DeferPool defers = DeferPool.create();
             SegmentedStack stack = stacks.newStack(); DeferScope scope = defers.newScope()) {
            int wordId = defers.register(args -> sum += args.word());
            int twoLongsId = defers.register(args -> sum += args.getLong(0) + args.getLong(8));
            reportFrame("push + close", FRAME, value -> {
                try (Frame frame = stack.push()) {
                    return frame.depth() == 1 ? value : -1;
                }
            });
            reportFrame("frame.allocateAddress(48)", FRAME, value -> {
                try (Frame frame = stack.push()) {
                    return frame.allocateAddress(48) != 0 ? value : -1;
                }
            });
            reportFrame("frame.allocate(48) + set/get", FRAME + SEGMENT, value -> {
                try (Frame frame = stack.push()) {
                    MemorySegment seg = frame.allocate(48);
                    seg.set(ValueLayout.JAVA_LONG, 0, value);
                    return seg.get(ValueLayout.JAVA_LONG, 0);
                }
            });
            int noArgId = defers.register(args -> sum += args.size() + 1);
            report("defer(id) + run, args.size()", value -> {
                long before = sum;
                scope.defer(noArgId);
                scope.runDeferred();
                return sum - before == 1 ? value : -1;
            });
            report("defer(id, word) + run, args.word()", value -> {
                long before = sum;
                scope.defer(wordId, value);
                scope.runDeferred();
                return sum - before;
            });
            int oneLongId = defers.register(args -> sum += args.getLong(0));
            report("defer(id, word) + run, args.getLong(0)", value -> {
                long before = sum;
                scope.defer(oneLongId, value);
                scope.runDeferred();
                return sum - before;
            });
            reportFrame("defer(id, frame slice) + run, args.getLong x2", FRAME + 2 * SEGMENT, value -> {
                try (Frame frame = stack.push()) {
                    MemorySegment seg = frame.allocate(48);
                    seg.set(ValueLayout.JAVA_LONG, 0, value);
                    seg.set(ValueLayout.JAVA_LONG, 8, 0);
                    long before = sum;
                    scope.defer(twoLongsId, seg.asSlice(0, 16));
                    scope.runDeferred();
                    return sum - before;
                }
            });
        }
    }

    /** Asserts that {@code call} leaves almost nothing: a few objects for all its calls. */
    private static void report(String form, LongUnaryOperator call) {
        long bytes = measure(form, call);
        assertTrue(bytes <= ALMOST_NOTHING, form + ": " + bytes + " heap bytes for " + CALLS + " calls");
    }

    /**
     * Asserts that {@code call}, which opens a frame, leaves at most {@code objects} bytes per call:
     * the objects the call itself makes through the API (the frame, its slice, the caller's own
     * argument slice), nothing the pools make behind them.
     */
    private static void reportFrame(String form, long objects, LongUnaryOperator call) {
        long bytes = measure(form, call);
        assertTrue(bytes <= objects * CALLS + ALMOST_NOTHING, form + ": " + bytes + " heap bytes for " + CALLS
                + " calls, more than the " + objects + " bytes of the objects it makes through the API");
    }

    private static long measure(String form, LongUnaryOperator call) {
        for (int round = 0; round < WARM_UP_ROUNDS; round++) {
            run(call);
        }
        long best = Long.MAX_VALUE;
        for (int round = 0; round < MEASURED_ROUNDS && best > ALMOST_NOTHING; round++) {
            long before = allocated();
            run(call);
            best = Math.min(best, allocated() - before);
        }
        System.out.printf("heap bytes per call, %s: %.1f%n", form, (double) best / CALLS);
        return best;
    }

    private static void run(LongUnaryOperator call) {
        long total = 0;
        for (int i = 0; i < CALLS; i++) {
            total += call.applyAsLong(i);
        }
        if (total != (long) CALLS * (CALLS - 1) / 2) {
            throw new AssertionError("a value was lost: " + total);
        }
    }
}
