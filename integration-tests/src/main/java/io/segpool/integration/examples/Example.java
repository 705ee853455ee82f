package io.segpool.integration.examples;

import io.segpool.allocator.NativeAllocator;
import io.segpool.stats.MemStats;

import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A first run of segpool: allocates blocks of a few sizes, frees them on another thread, trims, and
 * prints MemStats at each step. {@code ./segpool example}, or on its own with this class as the main
 * class (and {@code --enable-native-access=ALL-UNNAMED}).
 */
public final class Example {

    private Example() {
    }

    public static void main(String[] args) throws InterruptedException {
        run(System.out);
    }

    /** Runs the tour, printing to {@code out}. */
    public static void run(PrintStream out) throws InterruptedException {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            MemStats stats = new MemStats();
            long[] sizes = {24, 64, 1000, 8192, 3 << 20};
            MemorySegment[] blocks = new MemorySegment[sizes.length * 100];
            for (int i = 0; i < blocks.length; i++) {
                blocks[i] = allocator.allocate(sizes[i % sizes.length]);
                blocks[i].set(ValueLayout.JAVA_LONG, 0, i);
            }
            allocator.readMemStats(stats);
            out.println("== after allocating " + blocks.length + " blocks");
            out.print(stats);

            // Another thread frees them: the blocks travel through the central stacks, 16 at a time.
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread consumer = Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < blocks.length; i++) {
                        if (blocks[i].get(ValueLayout.JAVA_LONG, 0) != i) {
                            throw new AssertionError("block " + i + " was overwritten");
                        }
                        allocator.free(blocks[i]);
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            consumer.join();
            if (failure.get() != null) {
                throw new IllegalStateException("the freeing thread failed", failure.get());
            }
            allocator.readMemStats(stats);
            out.println("== after another thread freed them all");
            out.print(stats);

            long trimmed = allocator.trim();
            allocator.readMemStats(stats);
            out.println("== after trim() gave " + trimmed + " bytes back to the OS");
            out.print(stats);
        }
    }
}
