package io.segpool.jmh;

import io.segpool.allocator.Ablations;
import io.segpool.allocator.NativeAllocator;
import io.segpool.stats.MemStats;
import io.segpool.testsupport.SpscLongQueue;

import java.util.Locale;

/**
 * The memory side of the bounded-cache claim, as measured figures: the Go "bound defer pools" commit's cross-thread
 * pattern (one thread allocates 64 B blocks, another frees them, through a 1024-slot hand-off) for
 * segpool and its two ablations, printing {@code Sys} after 10^5, 10^6 and 10^7 blocks. With
 * bounded rings {@code Sys} is flat; with unbounded caches it grows with the count.
 *
 * <pre>java --enable-native-access=ALL-UNNAMED -cp jmh/target/benchmarks.jar io.segpool.jmh.MemoryHarness</pre>
 */
public final class MemoryHarness {

    private static final long SIZE = 64;

    private MemoryHarness() {
    }

    public static void main(String[] args) throws InterruptedException {
        long[] checkpoints = {100_000, 1_000_000, 10_000_000};
        System.out.println("| thread caching | Sys after 1e5 blocks | after 1e6 | after 1e7 |");
        System.out.println("| --- | ---: | ---: | ---: |");
        for (String caching : Ablations.MODES) {
            StringBuilder row = new StringBuilder("| " + caching + " |");
            try (NativeAllocator allocator = NativeAllocator.create()) {
                long done = 0;
                Ablations.Pair producer = Ablations.pair(caching, allocator);
                for (long checkpoint : checkpoints) {
                    transfer(allocator, caching, producer, checkpoint - done);
                    done = checkpoint;
                    MemStats stats = new MemStats();
                    allocator.readMemStats(stats);
                    row.append(String.format(Locale.ROOT, " %,d |", stats.sys()));
                }
            }
            System.out.println(row);
        }
    }

    /** Passes {@code count} blocks from this thread to a consumer that frees them. */
    private static void transfer(NativeAllocator allocator, String caching, Ablations.Pair producer, long count)
            throws InterruptedException {
        SpscLongQueue queue = new SpscLongQueue(1024);
        Thread consumer = Thread.ofPlatform().start(() -> {
            Ablations.Pair frees = Ablations.pair(caching, allocator);
            for (long i = 0; i < count; i++) {
                frees.freeAddress(queue.take(), SIZE);
            }
        });
        for (long i = 0; i < count; i++) {
            queue.put(producer.allocateAddress(SIZE));
        }
        consumer.join();
    }
}
