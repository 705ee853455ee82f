package io.segpool.allocator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Bounded waits for the tests' own threads: a thread that throws is recorded, and a thread that
 * hangs is named with its stack, so that either fails the test instead of hanging the build. The
 * limits are generous (a loaded 2-core CI machine), below the suite's default JUnit timeout
 * ({@code junit-platform.properties}), which interrupts a test that still runs.
 */
final class TestThreads {

    /** How long a test waits for its threads, at most. */
    static final Duration WAIT = Duration.ofMinutes(3);

    private TestThreads() {
    }

    /** Work for a thread that may throw anything. */
    @FunctionalInterface
    interface Body {
        void run() throws Exception;
    }

    /** The first failure of a test's threads, shared by them; each waits no longer once it is set. */
    static final class Failure {
        private final AtomicReference<Throwable> first = new AtomicReference<>();

        void record(Throwable e) {
            first.compareAndSet(null, e);
        }

        boolean failed() {
            return first.get() != null;
        }

        Throwable get() {
            return first.get();
        }

        /** Throws an AssertionError with the first failure as its cause, if there was one. */
        void rethrow(String what) {
            Throwable e = first.get();
            if (e != null) {
                throw new AssertionError(what + ": " + e, e);
            }
        }
    }

    /** Starts a platform thread that runs {@code body} and records what it throws in {@code failure}. */
    static Thread start(String name, Failure failure, Body body) {
        return Thread.ofPlatform().name(name).start(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.record(e);
            }
        });
    }

    /** {@link #start}, for a virtual thread. */
    static Thread startVirtual(Failure failure, Body body) {
        return Thread.ofVirtual().start(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.record(e);
            }
        });
    }

    /** {@link #joinAll(Duration, Iterable)} with {@link #WAIT}. */
    static void joinAll(Thread... threads) throws InterruptedException {
        joinAll(WAIT, Arrays.asList(threads));
    }

    /** {@link #joinAll(Duration, Iterable)} with {@link #WAIT}. */
    static void joinAll(Iterable<Thread> threads) throws InterruptedException {
        joinAll(WAIT, threads);
    }

    /**
     * Joins every thread within {@code timeout} in all; fails naming the ones still alive, with
     * where each is, after interrupting them.
     */
    static void joinAll(Duration timeout, Iterable<Thread> threads) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Thread> alive = new ArrayList<>();
        for (Thread thread : threads) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !thread.join(Duration.ofNanos(Math.max(left, 1)))) {
                alive.add(thread);
            }
        }
        if (alive.isEmpty()) {
            return;
        }
        StringBuilder where = new StringBuilder();
        for (Thread thread : alive.subList(0, Math.min(alive.size(), 4))) {
            where.append('\n').append(thread);
            for (StackTraceElement frame : thread.getStackTrace()) {
                where.append("\n\tat ").append(frame);
            }
            thread.interrupt();
        }
        throw new AssertionError(alive.size() + " threads still running after " + timeout + ":" + where);
    }
}
