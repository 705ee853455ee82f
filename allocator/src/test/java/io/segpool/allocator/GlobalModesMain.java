package io.segpool.allocator;

import io.segpool.stats.MemStats;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The child JVM of {@link GlobalModesForkedTest}: runs the global allocator's hot paths long
 * enough for the JIT to compile them with its heap, addresses and mode folded to constants,
 * then calls them wrongly, and checks that every pair came back and every wrong call was refused
 * as the mode says. Prints {@code GLOBAL-MODES-OK} and the mode, or throws (exit code 1).
 */
public final class GlobalModesMain {

    private static final NativeAllocator GLOBAL = NativeAllocator.global();
    private static final int ROUNDS = 200_000;

    private GlobalModesMain() {
    }

    public static void main(String[] args) throws Exception {
        boolean checked = GLOBAL.config().checkFrees();
        long sum = 0;
        ThreadCache cache = GLOBAL.threadCache();
        for (int i = 0; i < ROUNDS; i++) {
            long size = 16 + (i & 255);
            MemorySegment held = cache.allocate(size);
            held.set(ValueLayout.JAVA_LONG, 0, i);
            MemorySegment plain = GLOBAL.allocate(size);
            plain.set(ValueLayout.JAVA_LONG, 0, i + 1);
            long address = cache.allocateAddress(size);
            MemorySegment view = GLOBAL.segment(address, 8);
            view.set(ValueLayout.JAVA_LONG, 0, i + 2);
            sum += held.get(ValueLayout.JAVA_LONG, 0) + plain.get(ValueLayout.JAVA_LONG, 0) + view.get(ValueLayout.JAVA_LONG, 0);
            cache.freeAddress(address, size);
            GLOBAL.free(plain);
            cache.free(held);
        }
        long expected = 3L * ROUNDS * (ROUNDS - 1) / 2 + 3L * ROUNDS;
        check(sum == expected, "sum " + sum + " != " + expected);
        onVirtualThreads();
        refusals(checked, cache);
        MemStats stats = new MemStats();
        GLOBAL.readMemStats(stats);
        check(stats.inuse() == 0, "Inuse " + stats.inuse() + " after every block was freed");
        check(stats.mallocs() == stats.frees(), "Mallocs " + stats.mallocs() + " != Frees " + stats.frees());
        System.out.println("GLOBAL-MODES-OK checked=" + checked + " mallocs=" + stats.mallocs());
    }

    private static void onVirtualThreads() throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        long[] sums = new long[200];
        for (int t = 0; t < sums.length; t++) {
            int id = t;
            threads.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; i < 500; i++) {
                    MemorySegment block = GLOBAL.allocate(64);
                    block.set(ValueLayout.JAVA_INT, 0, i);
                    sums[id] += block.get(ValueLayout.JAVA_INT, 0);
                    GLOBAL.free(block);
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        for (long s : sums) {
            check(s == 499L * 500 / 2, "a virtual thread's sum is " + s);
        }
    }

    /** Wrong calls, after the hot paths are compiled: each must throw and change nothing. */
    private static void refusals(boolean checked, ThreadCache cache) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment foreign = arena.allocate(64, 16);
            refused(IllegalArgumentException.class, () -> GLOBAL.free(foreign), "a foreign segment");
            refused(IllegalArgumentException.class, () -> cache.free(foreign), "a foreign segment, held cache");
        }
        MemorySegment block = cache.allocate(64);
        refused(IllegalArgumentException.class, () -> cache.freeAddress(block.address() + 8, 64), "a misaligned address");
        if (checked) { // unchecked keeps no block state: an interior or a wrong size inside the class is not seen
            refused(IllegalArgumentException.class, () -> cache.freeAddress(block.address() + 16, 48), "an interior address");
            refused(IllegalArgumentException.class, () -> cache.freeAddress(block.address(), 80), "a wrong size");
            refused(IllegalArgumentException.class, () -> GLOBAL.free(block.asSlice(16, 32)), "an interior slice");
        }
        cache.free(block);
        if (checked) {
            refused(IllegalStateException.class, () -> cache.free(block), "a double free");
            refused(IllegalStateException.class, () -> GLOBAL.free(block), "a double free, plain call");
        }
    }

    private static void refused(Class<? extends RuntimeException> type, Runnable call, String what) {
        try {
            call.run();
        } catch (RuntimeException e) {
            check(type.isInstance(e), what + ": " + e + " is not a " + type.getSimpleName());
            return;
        }
        throw new AssertionError(what + " was accepted");
    }

    private static void check(boolean condition, String message) {
        if (!condition) {
            throw new AssertionError(message);
        }
    }
}
