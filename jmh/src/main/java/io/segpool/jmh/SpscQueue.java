package io.segpool.jmh;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The hand-off of {@link CrossThreadBenchmark}: a bounded single-producer single-consumer queue of
 * {@code long}s, each with an optional object riding along in a parallel slot (for peers whose
 * buffers are objects). 0 is not a valid value. The release store of an index publishes the slot
 * written before it; the acquire load of the other side's index makes that slot visible.
 *
 * <p>Each side keeps a plain copy of the other side's index, as JCTools' SPSC queues do, and
 * re-reads the real one only when its copy says full (producer) or empty (consumer). So while the
 * queue is neither, an offer touches only the producer's line and its slot, and a poll only the
 * consumer's line and its slot: the index lines move between the cores once per lap of the copy,
 * not once per element.
 *
 * <p>Layout, padded once in the superclasses below (HotSpot lays out a superclass's fields before
 * its subclass's): the read-only fields, then 128 bytes of padding, the producer's line, 128 bytes,
 * the consumer's line, 128 bytes. 128, not 64, because adjacent-line prefetchers fetch lines in
 * pairs.
 */
final class SpscQueue extends SpscQueueL3Pad {

    SpscQueue(int capacity) {
        super(capacity);
    }

    /** False when full. Producer only. */
    boolean offer(long value, Object object) {
        long t = tail;
        if (t - cachedHead == capacity) {
            cachedHead = lvHead();
            if (t - cachedHead == capacity) {
                return false;
            }
        }
        int slot = (int) t & mask;
        objects[slot] = object;
        values.setPlain(slot, value);
        soTail(t + 1);
        return true;
    }

    /** The next value, or 0 when empty; its object is then {@link #polledObject()}. Consumer only. */
    long poll() {
        long h = head;
        if (h == cachedTail) {
            cachedTail = lvTail();
            if (h == cachedTail) {
                return 0;
            }
        }
        int slot = (int) h & mask;
        long value = values.getPlain(slot);
        polled = objects[slot];
        objects[slot] = null;
        soHead(h + 1);
        return value;
    }

    /** The object that came with the last value {@link #poll()} returned; consumer only. */
    Object polledObject() {
        return polled;
    }
}

/** 128 bytes before the fields both threads read, away from whatever object lies before this one. */
@SuppressWarnings("unused")
abstract class SpscQueuePad0 {
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f;
}

/** Fields no one writes after construction: read by both threads, so they may share a line with nothing hot. */
abstract class SpscQueueColdFields extends SpscQueuePad0 {
    final AtomicLongArray values;
    final Object[] objects;
    final int mask;
    final long capacity;

    SpscQueueColdFields(int capacity) {
        if (Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("capacity " + capacity + " is not a power of two");
        }
        this.values = new AtomicLongArray(capacity);
        this.objects = new Object[capacity];
        this.mask = capacity - 1;
        this.capacity = capacity;
    }
}

@SuppressWarnings("unused")
abstract class SpscQueueL1Pad extends SpscQueueColdFields {
    long p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;

    SpscQueueL1Pad(int capacity) {
        super(capacity);
    }
}

/** The producer's line: both fields are written only by the producer. */
abstract class SpscQueueProducerLine extends SpscQueueL1Pad {
    private static final VarHandle TAIL;

    static {
        try {
            TAIL = MethodHandles.lookup().findVarHandle(SpscQueueProducerLine.class, "tail", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The next index to write; written by the producer with a release store, read by the consumer with acquire. */
    long tail;
    /** The producer's copy of {@code head}, plain: at most the real head, so "full" by it may be stale, never wrong the other way. */
    long cachedHead;

    SpscQueueProducerLine(int capacity) {
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
abstract class SpscQueueL2Pad extends SpscQueueProducerLine {
    long p20, p21, p22, p23, p24, p25, p26, p27, p28, p29, p2a, p2b, p2c, p2d, p2e, p2f;

    SpscQueueL2Pad(int capacity) {
        super(capacity);
    }
}

/** The consumer's line: all three fields are written only by the consumer. */
abstract class SpscQueueConsumerLine extends SpscQueueL2Pad {
    private static final VarHandle HEAD;

    static {
        try {
            HEAD = MethodHandles.lookup().findVarHandle(SpscQueueConsumerLine.class, "head", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The next index to read; written by the consumer with a release store, read by the producer with acquire. */
    long head;
    /** The consumer's copy of {@code tail}, plain: at most the real tail, so "empty" by it may be stale, never wrong the other way. */
    long cachedTail;
    /** The object of the last value polled; plain, consumer only. */
    Object polled;

    SpscQueueConsumerLine(int capacity) {
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
abstract class SpscQueueL3Pad extends SpscQueueConsumerLine {
    long p30, p31, p32, p33, p34, p35, p36, p37, p38, p39, p3a, p3b, p3c, p3d, p3e, p3f;

    SpscQueueL3Pad(int capacity) {
        super(capacity);
    }
}
