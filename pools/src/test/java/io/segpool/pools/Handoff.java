package io.segpool.pools;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A bounded single-producer single-consumer queue for the cross-thread tests. When full or empty
 * it spins, then yields its core (no sleeps): on a 2-core machine a pure spinner starves its peer.
 * The release store of an index publishes what the producer wrote before it.
 *
 * <p>No wait is unbounded: both sides share a failure slot, and a side that fails records its
 * throwable there ({@link #fail}); a side waiting on the other then throws {@link AssertionError}
 * with that throwable as the cause instead of spinning forever, as it does when the other side
 * has not moved for the timeout or the waiting thread is interrupted (a JUnit timeout). So a
 * failing consumer fails the test, it does not hang the build.
 */
final class Handoff<T> {

    /** How long a side waits for the other to make room or put something, by default. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private final AtomicReferenceArray<T> slots;
    private final int mask;
    private final AtomicLong head = new AtomicLong();
    private final AtomicLong tail = new AtomicLong();
    private final AtomicReference<Throwable> failure;
    private final long timeoutNanos;

    Handoff(int capacity, AtomicReference<Throwable> failure) {
        this(capacity, failure, DEFAULT_TIMEOUT);
    }

    Handoff(int capacity, AtomicReference<Throwable> failure, Duration timeout) {
        if (Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("capacity " + capacity + " is not a power of two");
        }
        slots = new AtomicReferenceArray<>(capacity);
        mask = capacity - 1;
        this.failure = failure;
        this.timeoutNanos = timeout.toNanos();
    }

    void put(T value) {
        long t = tail.get();
        long start = 0;
        for (int spins = 0; t - head.get() == slots.length(); spins++) {
            start = backOff(spins, start, "put");
        }
        slots.setPlain((int) t & mask, value);
        tail.setRelease(t + 1);
    }

    T take() {
        long h = head.get();
        long start = 0;
        for (int spins = 0; tail.getAcquire() == h; spins++) {
            start = backOff(spins, start, "take");
        }
        T value = slots.getPlain((int) h & mask);
        slots.setPlain((int) h & mask, null);
        head.setRelease(h + 1);
        return value;
    }

    /** Records that a side failed with {@code thrown}, so that the other stops waiting; keeps the first. */
    void fail(Throwable thrown) {
        failure.compareAndSet(null, thrown);
    }

    /** Spins, then yields; throws once the other side failed, the timeout passed or this thread was interrupted. */
    private long backOff(int spins, long start, String what) {
        if (spins < 100) {
            Thread.onSpinWait();
            return start;
        }
        Throwable other = failure.get();
        if (other != null) {
            throw new AssertionError(what + " gave up: the other side failed", other);
        }
        if (Thread.currentThread().isInterrupted()) {
            throw new AssertionError(what + " gave up: interrupted (a test timeout?)");
        }
        long now = System.nanoTime();
        if (spins == 100) {
            return now;
        }
        if (now - start > timeoutNanos) {
            throw new AssertionError(what + " gave up: the other side did not move for "
                    + Duration.ofNanos(timeoutNanos));
        }
        Thread.yield();
        return start;
    }
}
