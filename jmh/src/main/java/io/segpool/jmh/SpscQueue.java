package io.segpool.jmh;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The hand-off of {@link CrossThreadBenchmark}: a bounded single-producer single-consumer queue of
 * {@code long}s, each with an optional object riding along in a parallel slot (for peers whose
 * buffers are objects). 0 is not a valid value. Indices sit on their own cache lines; the release
 * store of an index publishes the slot written before it.
 */
final class SpscQueue {

    private final AtomicLongArray values;
    private final Object[] objects;
    private final int mask;
    private final AtomicLong head = new PaddedLong();
    private final AtomicLong tail = new PaddedLong();

    /** An AtomicLong padded to keep the producer's and the consumer's index on separate lines. */
    @SuppressWarnings("unused")
    private static final class PaddedLong extends AtomicLong {
        long p1, p2, p3, p4, p5, p6, p7;
    }

    SpscQueue(int capacity) {
        values = new AtomicLongArray(capacity);
        objects = new Object[capacity];
        mask = capacity - 1;
    }

    /** False when full. */
    boolean offer(long value, Object object) {
        long t = tail.getPlain();
        if (t - head.getAcquire() == values.length()) {
            return false;
        }
        int slot = (int) t & mask;
        objects[slot] = object;
        values.setPlain(slot, value);
        tail.setRelease(t + 1);
        return true;
    }

    /** The next value, or 0 when empty; its object is then {@link #polledObject()}. */
    long poll() {
        long h = head.getPlain();
        if (tail.getAcquire() == h) {
            return 0;
        }
        int slot = (int) h & mask;
        long value = values.getPlain(slot);
        polled = objects[slot];
        objects[slot] = null;
        head.setRelease(h + 1);
        return value;
    }

    /** The object that came with the last value {@link #poll()} returned; consumer only. */
    Object polledObject() {
        return polled;
    }

    private Object polled;
}
