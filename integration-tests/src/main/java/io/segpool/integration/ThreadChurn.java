package io.segpool.integration;

import io.segpool.pools.Frame;
import io.segpool.pools.SegmentedStack;
import io.segpool.pools.StackPool;
import io.segpool.stats.MemStats;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;

/**
 * Seed 002's TestStackMem shape as a workload: batches of new platform threads, each pushing
 * {@code frames} frames of {@code frameBytes} on its own stack, sleeping 1 ms at the bottom, and
 * ending. Every thread leaves a cache behind; the figure that matters is how far StackSys grows.
 */
public final class ThreadChurn {

    public record Config(int batches, int threadsPerBatch, int frames, int frameBytes) {
        public Config {
            if (batches < 1 || threadsPerBatch < 1 || frames < 1 || frameBytes < 1) {
                throw new IllegalArgumentException("batches " + batches + ", threads " + threadsPerBatch + ", frames "
                        + frames + ", frame bytes " + frameBytes + ": each must be at least 1");
            }
        }

        /** The seed's shape: 512 batches of 32 threads, 128 frames of 1 KiB. */
        public static Config seed() {
            return new Config(512, 32, 128, 1024);
        }
    }

    public record Result(long threads, long stackSysGrowth, long stackInuseAfter, double seconds) {
    }

    private ThreadChurn() {
    }

    public static Result run(StackPool pool, Config config, LongConsumer progress) throws InterruptedException {
        MemStats stats = new MemStats();
        pool.readPoolStats(stats);
        long sysBefore = stats.stackSys();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long start = System.nanoTime();
        for (int batch = 0; batch < config.batches(); batch++) {
            Thread[] threads = new Thread[config.threadsPerBatch()];
            for (int i = 0; i < threads.length; i++) {
                threads[i] = Thread.ofPlatform().start(() -> {
                    try (SegmentedStack stack = pool.newStack()) {
                        grow(stack, config.frames(), config.frameBytes());
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                });
            }
            for (Thread thread : threads) {
                thread.join();
            }
            progress.accept((long) (batch + 1) * threads.length);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (failure.get() != null) {
            throw new IllegalStateException("a churn thread failed", failure.get());
        }
        pool.readPoolStats(stats);
        return new Result((long) config.batches() * config.threadsPerBatch(), stats.stackSys() - sysBefore,
                stats.stackInuse(), seconds);
    }

    private static void grow(SegmentedStack stack, int depth, int frameBytes) throws InterruptedException {
        try (Frame frame = stack.push()) {
            MemorySegment buffer = frame.allocate(frameBytes);
            buffer.set(ValueLayout.JAVA_BYTE, 0, (byte) depth);
            if (depth > 1) {
                grow(stack, depth - 1, frameBytes);
            } else {
                Thread.sleep(1);
            }
            if (buffer.get(ValueLayout.JAVA_BYTE, 0) != (byte) depth) {
                throw new IllegalStateException("frame at depth " + depth + " lost its bytes");
            }
        }
    }
}
