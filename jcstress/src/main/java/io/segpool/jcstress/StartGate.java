package io.segpool.jcstress;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Lines up the threads that an actor each starts, so that they race: jcstress starts its actors
 * together, but a virtual thread then waits for a carrier for anything from a microsecond to many,
 * far longer than the window of the race under test (a read and a write of a stripe's owner). Each
 * thread arrives, then spins until all have (or, if a carrier is slow to come, for at most
 * {@link #MAX_WAIT_NANOS}, and then goes anyway: a late thread makes a sample that tests less,
 * never a wrong one).
 */
final class StartGate {

    private static final long MAX_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final int parties;
    private final AtomicInteger arrived = new AtomicInteger();

    StartGate(int parties) {
        this.parties = parties;
    }

    /** Arrives and waits, spinning, for the others. */
    void arriveAndAwait() {
        arrived.incrementAndGet();
        long deadline = System.nanoTime() + MAX_WAIT_NANOS;
        while (arrived.get() < parties && System.nanoTime() - deadline < 0) {
            Thread.onSpinWait();
        }
    }
}
