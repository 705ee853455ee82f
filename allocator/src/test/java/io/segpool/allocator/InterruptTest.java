package io.segpool.allocator;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Interrupts land in the middle of refills and spills and lose nothing: the slow paths take
 * monitors, which an interrupt does not abort, and leave a thread's interrupt status as it was.
 * Workers allocate and free in bursts of 40 (so every burst refills and spills) while an
 * interrupter hits them as fast as it can; then every byte must be accounted for.
 */
class InterruptTest {

    @Test
    void interruptsDuringRefillAndSpillLoseNoBlock() throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            int threads = 2;
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong interruptsSeen = new AtomicLong();
            Thread[] workers = new Thread[threads];
            for (int t = 0; t < threads; t++) {
                long seed = t;
                workers[t] = Thread.ofPlatform().start(() -> {
                    SplittableRandom random = new SplittableRandom(seed);
                    long[] burst = new long[40];
                    try {
                        for (int round = 0; round < 20_000; round++) {
                            long size = 16L << random.nextInt(8);
                            for (int i = 0; i < burst.length; i++) {
                                burst[i] = allocator.allocateAddress(size);
                                allocator.segment(burst[i], size).set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, round);
                            }
                            for (long block : burst) {
                                if (allocator.segment(block, size).get(java.lang.foreign.ValueLayout.JAVA_LONG, 0) != round) {
                                    throw new AssertionError("block overwritten");
                                }
                                allocator.freeAddress(block, size);
                            }
                            if (Thread.interrupted()) {
                                interruptsSeen.incrementAndGet(); // the status survived the slow paths
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
            }
            Thread interrupter = Thread.ofPlatform().start(() -> {
                while (!stop.get()) {
                    for (Thread worker : workers) {
                        worker.interrupt();
                    }
                    Thread.onSpinWait();
                }
            });
            try {
                TestThreads.joinAll(workers);
            } finally {
                stop.set(true);
                TestThreads.joinAll(interrupter);
            }
            if (failure.get() != null) {
                throw new AssertionError("a worker failed", failure.get());
            }
            assertTrue(interruptsSeen.get() > 0, "no interrupt arrived: the test proved nothing");
            MemStats stats = new MemStats();
            allocator.readMemStats(stats);
            System.out.printf("interrupts: %,d seen by workers between bursts of 40 allocations, 0 blocks lost%n",
                    interruptsSeen.get());
            assertEquals(0, stats.inuse());
            assertEquals(stats.mallocs(), stats.frees());
            assertEquals(2L * 20_000 * 40, stats.mallocs());
            TestSupport.assertConserved(stats);
        }
    }
}
