package io.segpool.testsupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpscLongQueueTest {

    @Test
    void fillsToCapacityThenRefusesAndEmptiesInOrder() {
        SpscLongQueue queue = new SpscLongQueue(4);
        assertEquals(0, queue.poll(), "empty");
        for (long v = 1; v <= 4; v++) {
            assertTrue(queue.offer(v));
        }
        assertFalse(queue.offer(5), "full at capacity");
        assertEquals(1, queue.poll());
        assertTrue(queue.offer(5), "one slot free again");
        for (long v = 2; v <= 5; v++) {
            assertEquals(v, queue.poll());
        }
        assertEquals(0, queue.poll());
    }

    @Test
    void refusesZeroAndCapacitiesThatAreNotPowersOfTwo() {
        assertThrows(IllegalArgumentException.class, () -> new SpscLongQueue(1000));
        assertThrows(IllegalArgumentException.class, () -> new SpscLongQueue(0));
        SpscLongQueue queue = new SpscLongQueue(2);
        assertThrows(IllegalArgumentException.class, () -> queue.offer(0));
        assertEquals(0, queue.poll(), "the refused offer left nothing behind");
    }

    /** Many laps of a small queue between two threads: every value arrives once, in order. */
    @Test
    @Timeout(60) // a consumer that failed stops taking, and the producer would wait for space forever
    void passesEveryValueOnceInOrderBetweenTwoThreads() throws Exception {
        long count = 2_000_000;
        SpscLongQueue queue = new SpscLongQueue(64);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long[] sum = new long[1];
        Thread consumer = Thread.ofPlatform().name("consumer").start(() -> {
            try {
                for (long expected = 1; expected <= count; expected++) {
                    long value = queue.take();
                    if (value != expected) {
                        throw new AssertionError("got " + value + ", expected " + expected);
                    }
                    sum[0] += value;
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        for (long v = 1; v <= count; v++) {
            queue.put(v);
        }
        consumer.join();
        assertNull(failure.get());
        assertEquals(count * (count + 1) / 2, sum[0]);
        assertEquals(0, queue.poll(), "nothing left over");
    }
}
