package io.segpool.allocator;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code close()} racing threads that allocate, touch, free and trim: every racing call either
 * finishes or throws {@link IllegalStateException}, never another exception, and nothing faults
 * (a fault would kill this JVM and fail the run). Refills carve chunks, spills and trims release
 * them, and large blocks map and unmap while the close runs.
 */
class CloseRaceTest {

    private static final int TRIALS = 200;
    private static final int THREADS = 3;

    @Test
    void aCallRacingCloseFinishesOrThrowsIllegalStateException() throws Exception {
        int stopped = 0;
        for (int trial = 0; trial < TRIALS; trial++) {
            NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withMemoryLimit(256L << 20));
            AtomicReference<Throwable> wrong = new AtomicReference<>();
            CountDownLatch running = new CountDownLatch(THREADS);
            int[] refused = new int[THREADS];
            Thread[] threads = new Thread[THREADS];
            for (int t = 0; t < THREADS; t++) {
                int id = t;
                threads[t] = Thread.ofPlatform().start(() -> {
                    running.countDown();
                    try {
                        churn(allocator, id);
                    } catch (IllegalStateException expected) {
                        refused[id] = 1;
                    } catch (Throwable e) {
                        wrong.compareAndSet(null, e);
                    }
                });
            }
            running.await();
            allocator.close();
            for (Thread thread : threads) {
                thread.join();
            }
            if (wrong.get() != null) {
                throw new AssertionError("trial " + trial + ": a call racing close() threw something else",
                        wrong.get());
            }
            for (int r : refused) {
                stopped += r;
            }
        }
        assertTrue(stopped > 0, "no call ever raced close(): the test did not test the race");
        System.out.printf("close races: %d trials, %d of %d threads stopped by IllegalStateException%n",
                TRIALS, stopped, TRIALS * THREADS);
    }

    /** Allocate, touch, free and trim until the allocator refuses; the sizes cross refills and large blocks. */
    private static void churn(NativeAllocator allocator, int id) {
        MemorySegment[] held = new MemorySegment[48];
        for (long i = 0; ; i++) {
            int slot = (int) (i % held.length);
            if (held[slot] != null) {
                held[slot].set(ValueLayout.JAVA_LONG, 0, i);
                allocator.free(held[slot]);
            }
            long size = switch ((int) (i % 7)) {
                case 0 -> 2L << 20;
                case 1 -> 1 << 16;
                default -> 64L << (i % 5);
            };
            held[slot] = allocator.allocate(size);
            held[slot].set(ValueLayout.JAVA_LONG, size - 8, i);
            if (id == 0 && i % 64 == 0) {
                allocator.trim();
            }
        }
    }
}
