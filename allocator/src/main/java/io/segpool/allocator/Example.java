package io.segpool.allocator;

import io.segpool.stats.MemStats;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A first run of segpool: allocates blocks of a few sizes on two threads, frees them, trims, and
 * prints MemStats at each step. {@code ./segpool example}.
 */
public final class Example {

    private Example() {
    }

    /**
     * Runs the tour and prints MemStats at each step.
     *
     * @param args ignored
     * @throws InterruptedException if interrupted while waiting for the freeing thread
     */
    public static void main(String[] args) throws InterruptedException {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            MemStats stats = new MemStats();
            long[] sizes = {24, 64, 1000, 8192, 3 << 20};
            MemorySegment[] blocks = new MemorySegment[sizes.length * 100];
            for (int i = 0; i < blocks.length; i++) {
                blocks[i] = allocator.allocate(sizes[i % sizes.length]);
                blocks[i].set(ValueLayout.JAVA_LONG, 0, i);
            }
            allocator.readMemStats(stats);
            System.out.println("== after allocating " + blocks.length + " blocks");
            System.out.print(stats);

            // Another thread frees them: the blocks travel through the central stacks, 16 at a time.
            Thread consumer = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < blocks.length; i++) {
                    if (blocks[i].get(ValueLayout.JAVA_LONG, 0) != i) {
                        throw new AssertionError("block " + i + " was overwritten");
                    }
                    allocator.free(blocks[i]);
                }
            });
            consumer.join();
            allocator.readMemStats(stats);
            System.out.println("== after another thread freed them all");
            System.out.print(stats);

            long trimmed = allocator.trim();
            allocator.readMemStats(stats);
            System.out.println("== after trim() gave " + trimmed + " bytes back to the OS");
            System.out.print(stats);
        }
    }
}
