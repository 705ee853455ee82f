package io.segpool.testsupport;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The one hand-off of {@code long}s (block addresses) between two threads in segpool's tests and
 * benchmarks: a bounded single-producer single-consumer queue. 0 is not a valid value (it is what
 * {@link #poll()} returns when the queue is empty); objects go through JCTools' {@code SpscArrayQueue}
 * instead.
 *
 * <p>Memory ordering: the producer writes the slot plainly, then publishes it with a release store of
 * {@code tail}; the consumer's acquire load of {@code tail} makes the slot visible. The same pair on
 * {@code head} tells the producer a slot is free again.
 *
 * <p>Each side keeps a plain copy of the other side's index, as JCTools' SPSC queues do, and re-reads
 * the real one only when its copy says full (producer) or empty (consumer). While the queue is
 * neither, an offer touches only the producer's line and its slot, and a poll only the consumer's line
 * and its slot: the index lines move between the cores once per lap of the copy, not once per element.
 *
 * <p>Layout, padded once in the superclasses below (HotSpot lays out a superclass's fields before its
 * subclass's): the read-only fields, then 128 bytes of padding, the producer's line, 128 bytes, the
 * consumer's line, 128 bytes. 128, not 64, because adjacent-line prefetchers fetch lines in pairs.
 */
public final class SpscLongQueue extends SpscLongQueueL3Pad {

    /** @param capacity slots, a power of two */
    public SpscLongQueue(int capacity) {
        super(capacity);
    }

    /** Adds {@code value} unless the queue is full; false when full. Producer thread only. */
    public boolean offer(long value) {
        if (value == 0) {
            throw new IllegalArgumentException("0 cannot pass through the queue: poll() returns it for empty");
        }
        long t = tail;
        if (t - cachedHead == capacity) {
            cachedHead = lvHead();
            if (t - cachedHead == capacity) {
                return false;
            }
        }
        values.setPlain((int) t & mask, value);
        soTail(t + 1);
        return true;
    }

    /** The oldest value, or 0 when the queue is empty. Consumer thread only. */
    public long poll() {
        long h = head;
        if (h == cachedTail) {
            cachedTail = lvTail();
            if (h == cachedTail) {
                return 0;
            }
        }
        long value = values.getPlain((int) h & mask);
        soHead(h + 1);
        return value;
    }

    /**
     * Adds {@code value}, waiting while the queue is full: it spins, then yields its core (no sleeps),
     * since on a 2-core machine a pure spinner can starve the thread it waits for. Producer only.
     */
    public void put(long value) {
        for (int spins = 0; !offer(value); spins++) {
            backOff(spins);
        }
    }

    /** The oldest value, waiting as {@link #put} does while the queue is empty. Consumer only. */
    public long take() {
        long value;
        for (int spins = 0; (value = poll()) == 0; spins++) {
            backOff(spins);
        }
        return value;
    }

    /** The number of slots. */
    public int capacity() {
        return (int) capacity;
    }

    private static void backOff(int spins) {
        if (spins < 100) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }
}

/** 128 bytes before the fields both threads read, away from whatever object lies before this one. */
@SuppressWarnings("unused")
abstract class SpscLongQueuePad0 {
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f;
}

/** Fields no one writes after construction: read by both threads, so they share a line with nothing hot. */
abstract class SpscLongQueueColdFields extends SpscLongQueuePad0 {
    final AtomicLongArray values;
    final int mask;
    final long capacity;

    SpscLongQueueColdFields(int capacity) {
        if (capacity < 1 || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("capacity " + capacity + " is not a power of two");
        }
        this.values = new AtomicLongArray(capacity);
        this.mask = capacity - 1;
        this.capacity = capacity;
    }
}

@SuppressWarnings("unused")
abstract class SpscLongQueueL1Pad extends SpscLongQueueColdFields {
    long p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;

    SpscLongQueueL1Pad(int capacity) {
        super(capacity);
    }
}

/** The producer's line: both fields are written only by the producer. */
abstract class SpscLongQueueProducerLine extends SpscLongQueueL1Pad {
    private static final VarHandle TAIL;

    static {
        try {
            TAIL = MethodHandles.lookup().findVarHandle(SpscLongQueueProducerLine.class, "tail", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The next index to write; written by the producer with a release store, read by the consumer with acquire. */
    long tail;
    /** The producer's copy of {@code head}, plain: at most the real head, so "full" by it may be stale, never wrong the other way. */
    long cachedHead;

    SpscLongQueueProducerLine(int capacity) {
        super(capacity);
    }

    final long lvTail() {
        return (long) TAIL.getAcquire(this);
    }

    final void soTail(long value) {
        TAIL.setRelease(this, value);
    }
}

@SuppressWarnings("unused")
abstract class SpscLongQueueL2Pad extends SpscLongQueueProducerLine {
    long p20, p21, p22, p23, p24, p25, p26, p27, p28, p29, p2a, p2b, p2c, p2d, p2e, p2f;

    SpscLongQueueL2Pad(int capacity) {
        super(capacity);
    }
}

/** The consumer's line: both fields are written only by the consumer. */
abstract class SpscLongQueueConsumerLine extends SpscLongQueueL2Pad {
    private static final VarHandle HEAD;

    static {
        try {
            HEAD = MethodHandles.lookup().findVarHandle(SpscLongQueueConsumerLine.class, "head", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The next index to read; written by the consumer with a release store, read by the producer with acquire. */
    long head;
    /** The consumer's copy of {@code tail}, plain: at most the real tail, so "empty" by it may be stale, never wrong the other way. */
    long cachedTail;

    SpscLongQueueConsumerLine(int capacity) {
        super(capacity);
    }

    final long lvHead() {
        return (long) HEAD.getAcquire(this);
    }

    final void soHead(long value) {
        HEAD.setRelease(this, value);
    }
}

/** 128 bytes after the consumer's line, away from whatever object lies after this one. */
@SuppressWarnings("unused")
abstract class SpscLongQueueL3Pad extends SpscLongQueueConsumerLine {
    long p30, p31, p32, p33, p34, p35, p36, p37, p38, p39, p3a, p3b, p3c, p3d, p3e, p3f;

    SpscLongQueueL3Pad(int capacity) {
        super(capacity);
    }
}
