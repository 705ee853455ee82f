package io.segpool.pools;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A bounded single-producer single-consumer queue for the cross-thread tests. When full or empty
 * it spins, then yields its core (no sleeps): on a 2-core machine a pure spinner starves its peer.
 * The release store of an index publishes what the producer wrote before it.
 */
final class Handoff<T> {
    private final AtomicReferenceArray<T> slots;
    private final int mask;
    private final AtomicLong head = new AtomicLong();
    private final AtomicLong tail = new AtomicLong();

    Handoff(int capacity) {
        if (Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("capacity " + capacity + " is not a power of two");
        }
        slots = new AtomicReferenceArray<>(capacity);
        mask = capacity - 1;
    }

    void put(T value) {
        long t = tail.get();
        for (int spins = 0; t - head.get() == slots.length(); spins++) {
            backOff(spins);
        }
        slots.setPlain((int) t & mask, value);
        tail.setRelease(t + 1);
    }

    T take() {
        long h = head.get();
        for (int spins = 0; tail.getAcquire() == h; spins++) {
            backOff(spins);
        }
        T value = slots.getPlain((int) h & mask);
        slots.setPlain((int) h & mask, null);
        head.setRelease(h + 1);
        return value;
    }

    private static void backOff(int spins) {
        if (spins < 100) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }
}
