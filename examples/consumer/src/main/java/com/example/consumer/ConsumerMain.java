package com.example.consumer;

import io.segpool.allocator.NativeAllocator;
import io.segpool.pools.Frame;
import io.segpool.pools.SegmentedStack;
import io.segpool.pools.StackPool;
import io.segpool.stats.MemStats;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * What a first user of segpool writes: allocate, free, read MemStats. Exits 1 with a message if
 * a figure is not what the allocator promises, so a CI step can rely on its exit status.
 */
public final class ConsumerMain {

    public static void main(String[] args) {
        MemStats stats = new MemStats();
        try (NativeAllocator allocator = NativeAllocator.create()) {
            // More blocks than a thread ring holds, so the run crosses refills and spills.
            MemorySegment[] blocks = new MemorySegment[200];
            for (int i = 0; i < blocks.length; i++) {
                blocks[i] = allocator.allocate(64 + 16 * (i % 4));
                blocks[i].set(ValueLayout.JAVA_LONG, 0, i);
            }
            allocator.readMemStats(stats);
            check(stats.mallocs() == blocks.length, "mallocs " + stats.mallocs() + " after " + blocks.length + " allocations");
            check(stats.inuse() > 0, "Inuse is 0 with " + blocks.length + " blocks held");
            for (int i = 0; i < blocks.length; i++) {
                check(blocks[i].get(ValueLayout.JAVA_LONG, 0) == i, "block " + i + " was overwritten");
                allocator.free(blocks[i]);
            }
            allocator.readMemStats(stats);
            check(stats.inuse() == 0, "Inuse " + stats.inuse() + " after every block was freed");
            check(stats.frees() == stats.mallocs(), "frees " + stats.frees() + " != mallocs " + stats.mallocs());
            check(stats.sys() == stats.inuse() + stats.cached() + stats.central() + stats.released(),
                    "Sys != Inuse + Cached + Central + Released");
            System.out.print(stats);
        }

        try (StackPool pool = StackPool.create(); SegmentedStack stack = pool.newStack()) {
            try (Frame frame = stack.push()) {
                frame.allocate(1024).fill((byte) 1);
            }
            MemStats poolStats = new MemStats();
            pool.readMemStats(poolStats);
            check(poolStats.stackSys() > 0, "StackSys is 0 after a frame was used");
        }
        System.out.println("consumer: allocated, freed and read MemStats through the published artifacts");
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.err.println("consumer: FAILED: " + what);
            System.exit(1);
        }
    }
}
