package io.segpool.allocator;

import io.segpool.stats.MemStats;

import java.util.ArrayList;
import java.util.List;

/**
 * The child JVM of {@link GlobalMisconfigTest}: {@code refused} expects every
 * {@link NativeAllocator#global()} call to throw the property's {@link IllegalArgumentException}
 * (not an {@link ExceptionInInitializerError} once, then {@link NoClassDefFoundError});
 * {@code limited} runs the global allocator into its {@code -Dsegpool.global.memoryLimit} with
 * single and batch calls and checks that it refuses, keeps serving and loses no byte. Prints
 * {@code GLOBAL-ATTACK-OK} and the mode, or throws (exit code 1).
 */
public final class GlobalMisconfigMain {

    private GlobalMisconfigMain() {
    }

    public static void main(String[] args) {
        switch (args[0]) {
            case "refused" -> refused(args[1]);
            case "limited" -> limited();
            default -> throw new IllegalArgumentException(args[0]);
        }
        System.out.println("GLOBAL-ATTACK-OK " + args[0]);
    }

    private static void refused(String expected) {
        for (int i = 0; i < 3; i++) {
            try {
                NativeAllocator.global();
                throw new AssertionError("global() was served with a bad property");
            } catch (IllegalArgumentException e) {
                check(e.getMessage().contains(expected), "call " + i + ": " + e.getMessage());
            }
        }
    }

    private static void limited() {
        NativeAllocator global = NativeAllocator.global();
        long limit = global.config().memoryLimit();
        List<Long> held = new ArrayList<>();
        boolean refused = false;
        for (int i = 0; i < 1000 && !refused; i++) {
            try {
                held.add(global.allocateAddress(1 << 20));
            } catch (MemoryLimitException e) {
                refused = true;
            }
        }
        check(refused, "the limit of " + limit + " bytes never refused a 1 MiB block");
        MemStats before = stats(global);
        long[] batch = new long[4096];
        try {
            global.allocateBatch(4096, batch, 0, batch.length);
            throw new AssertionError("a 16 MiB batch was served under a " + limit + "-byte limit");
        } catch (MemoryLimitException expected) {
            check(stats(global).inuse() == before.inuse(), "a refused batch kept blocks: " + stats(global));
        }
        for (long block : held) {
            global.freeAddress(block, 1 << 20);
        }
        global.allocateBatch(4096, batch, 0, 256);
        global.freeBatch(4096, batch, 0, 256);
        try {
            global.close();
            throw new AssertionError("the global allocator closed");
        } catch (UnsupportedOperationException expected) {
            check(global.isOpen(), "a refused close closed it");
        }
        global.trim();
        MemStats after = stats(global);
        check(after.inuse() == 0, "Inuse " + after.inuse() + " after every block was freed");
        check(after.mallocs() == after.frees(), "Mallocs " + after.mallocs() + " != Frees " + after.frees());
        check(after.sys() == after.inuse() + after.cached() + after.central() + after.released(), "not conserved: " + after);
    }

    private static MemStats stats(NativeAllocator allocator) {
        MemStats stats = new MemStats();
        allocator.readMemStats(stats);
        return stats;
    }

    private static void check(boolean condition, String message) {
        if (!condition) {
            throw new AssertionError(message);
        }
    }
}
