package io.segpool.allocator;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code close()} racing threads that allocate, touch, free and trim: every racing call either
 * finishes or throws the closed allocator's {@link IllegalStateException} (or the JDK's for an
 * access to a closed segment), never another exception or message, and nothing faults
 * (a fault would kill this JVM and fail the run). Refills carve chunks, spills and trims release
 * them, and large blocks map and unmap while the close runs.
 */
class CloseRaceTest {

    private static final int TRIALS = 200;
    private static final int THREADS = 3;

    @Test
    void aCallRacingCloseFinishesOrIsRefusedAsClosed() throws Exception {
        for (int trial = 0; trial < TRIALS; trial++) {
            NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withMemoryLimit(256L << 20));
            AtomicReference<Throwable> wrong = new AtomicReference<>();
            CountDownLatch running = new CountDownLatch(THREADS);
            Thread[] threads = new Thread[THREADS];
            for (int t = 0; t < THREADS; t++) {
                int id = t;
                threads[t] = Thread.ofPlatform().start(() -> {
                    running.countDown();
                    try {
                        churn(allocator, id);
                    } catch (Throwable e) {
                        // churn() never returns: a thread ends with the closed refusal, or with a bug.
                        if (!isClosedRefusal(e, allocator)) {
                            wrong.compareAndSet(null, e);
                        }
                    }
                });
            }
            assertTrue(running.await(TestThreads.WAIT.toMillis(), TimeUnit.MILLISECONDS), "the threads did not start");
            allocator.close();
            TestThreads.joinAll(threads);
            if (wrong.get() != null) {
                throw new AssertionError("trial " + trial + ": a call racing close() threw something other than the"
                        + " closed allocator's refusal", wrong.get());
            }
        }
    }

    /**
     * Whether {@code e} is the refusal of a closed allocator: an IllegalStateException, thrown once
     * {@code close()} has begun, that says so ({@link Refusals#closed()}) or is the JDK's refusal of
     * an access to a segment whose arena closed ("Already closed"). A double free, a "released"
     * refusal or any other IllegalStateException is a bug the race exposed, not a refusal.
     */
    static boolean isClosedRefusal(Throwable e, NativeAllocator allocator) {
        if (!(e instanceof IllegalStateException) || allocator.isOpen()) {
            return false;
        }
        String message = e.getMessage();
        return message != null && (message.startsWith("this NativeAllocator is closed") || message.equals("Already closed"));
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
