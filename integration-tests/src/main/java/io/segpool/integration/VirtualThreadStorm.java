package io.segpool.integration;

import io.segpool.pools.DeferPool;
import io.segpool.pools.DeferScope;
import io.segpool.pools.Frame;
import io.segpool.pools.SegmentedStack;
import io.segpool.pools.StackPool;
import io.segpool.stats.MemStats;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;

/**
 * Seed 000's scenario at Java scale: many virtual threads, each opening a {@link DeferScope} with
 * one 8-byte defer and pushing one stack frame. Virtual threads share 2 × processors caches.
 */
public final class VirtualThreadStorm {

    public record Result(long threads, long defersRun, double seconds, long stackSys, long deferSys,
                         long stackCaches, long deferCaches, long peakRssKib) {
    }

    private VirtualThreadStorm() {
    }

    public static Result run(StackPool stacks, DeferPool defers, int threads, LongConsumer progress) {
        LongAdder ran = new LongAdder();
        int count = defers.register(args -> ran.add(args.word()));
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long start = System.nanoTime();
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < threads; i++) {
                executor.execute(() -> {
                    try (DeferScope scope = defers.newScope(); SegmentedStack stack = stacks.newStack()) {
                        scope.defer(count, 1L);
                        try (Frame frame = stack.push()) {
                            MemorySegment local = frame.allocate(256);
                            local.set(ValueLayout.JAVA_LONG, 0, 42);
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                });
                if ((i + 1) % 100_000 == 0) {
                    progress.accept(i + 1);
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (failure.get() != null) {
            throw new IllegalStateException("a virtual thread failed", failure.get());
        }
        MemStats stats = new MemStats();
        stacks.readPoolStats(stats);
        defers.readPoolStats(stats);
        MemStats stackAllocator = new MemStats();
        MemStats deferAllocator = new MemStats();
        stacks.readMemStats(stackAllocator);
        defers.readMemStats(deferAllocator);
        return new Result(threads, ran.sum(), seconds, stats.stackSys(), stats.deferSys(),
                stackAllocator.threadCaches(), deferAllocator.threadCaches(), peakRssKib());
    }

    /** VmHWM of this JVM in KiB, from /proc (Linux); -1 elsewhere. */
    static long peakRssKib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
