package io.segpool.allocator;

import io.segpool.testsupport.SpscLongQueue;

import java.time.Duration;

/**
 * A {@link SpscLongQueue} whose waits end: {@link #put} and {@link #take} wait as the queue's own
 * do (spin, then yield the core), but give up, with an AssertionError, as soon as the other side
 * has recorded a failure or when one wait passes its timeout. Without this a consumer that throws
 * leaves its producer spinning on a full queue, and the build hangs instead of failing.
 */
final class Handoff {

    private final SpscLongQueue queue;
    private final TestThreads.Failure failure;
    private final long timeoutNanos;

    Handoff(int capacity, TestThreads.Failure failure, Duration timeout) {
        this.queue = new SpscLongQueue(capacity);
        this.failure = failure;
        this.timeoutNanos = timeout.toNanos();
    }

    /** Adds {@code value} (not 0), waiting while the queue is full. Producer only. */
    void put(long value) {
        if (queue.offer(value)) {
            return;
        }
        long since = System.nanoTime();
        for (int spins = 0; !queue.offer(value); spins++) {
            pause(spins, since, "put");
        }
    }

    /** The oldest value, waiting while the queue is empty. Consumer only. */
    long take() {
        long value = queue.poll();
        if (value != 0) {
            return value;
        }
        long since = System.nanoTime();
        for (int spins = 0; (value = queue.poll()) == 0; spins++) {
            pause(spins, since, "take");
        }
        return value;
    }

    private void pause(int spins, long since, String what) {
        if (failure.failed()) {
            throw new AssertionError(what + " gave up: the other side failed", failure.get());
        }
        if ((spins & 63) != 63) {
            Thread.onSpinWait();
            return;
        }
        if (System.nanoTime() - since > timeoutNanos) {
            throw new AssertionError(what + " waited " + Duration.ofNanos(timeoutNanos) + " for the other side");
        }
        Thread.yield();
    }
}
