package io.segpool.pools;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cross-thread tests' queue never hangs: a failed peer, a silent peer or an interrupt ends every wait. */
@Timeout(30)
class HandoffTest {

    @Test
    void aProducerStopsWaitingWhenItsConsumerFails() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Handoff<Integer> queue = new Handoff<>(4, failure);
        IllegalStateException consumerFailure = new IllegalStateException("consumer broke");
        Thread consumer = Thread.ofPlatform().start(() -> {
            try {
                for (int i = 0; i < 10; i++) {
                    if (queue.take() == 7) {
                        throw consumerFailure;
                    }
                }
            } catch (Throwable t) {
                queue.fail(t);
            }
        });
        AssertionError gaveUp = assertThrows(AssertionError.class, () -> {
            for (int i = 0; i < 1_000_000; i++) {
                queue.put(i);
            }
        }, "the producer kept putting into a queue nobody takes from");
        assertSame(consumerFailure, gaveUp.getCause());
        assertTrue(consumer.join(Duration.ofSeconds(10)));
    }

    @Test
    void aTakeWithNobodyPuttingEndsAtTheTimeout() {
        Handoff<Integer> queue = new Handoff<>(4, new AtomicReference<>(), Duration.ofMillis(200));
        long start = System.nanoTime();
        AssertionError gaveUp = assertThrows(AssertionError.class, queue::take);
        assertTrue(gaveUp.getMessage().contains("did not move"), gaveUp.getMessage());
        assertTrue(System.nanoTime() - start >= Duration.ofMillis(200).toNanos());
    }

    @Test
    void anInterruptEndsAWait() throws Exception {
        Handoff<Integer> queue = new Handoff<>(2, new AtomicReference<>());
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread waiter = Thread.ofPlatform().start(() -> {
            try {
                queue.take();
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        waiter.interrupt();
        assertTrue(waiter.join(Duration.ofSeconds(10)), "the interrupted take did not end");
        assertTrue(thrown.get() instanceof AssertionError && thrown.get().getMessage().contains("interrupted"),
                String.valueOf(thrown.get()));
    }

    @Test
    void valuesPassInOrder() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Handoff<Integer> queue = new Handoff<>(8, failure);
        long[] sum = new long[1];
        Thread consumer = Thread.ofPlatform().start(() -> {
            try {
                for (int i = 0; i < 100_000; i++) {
                    int value = queue.take();
                    if (value != i) {
                        throw new AssertionError("took " + value + ", expected " + i);
                    }
                    sum[0] += value;
                }
            } catch (Throwable t) {
                queue.fail(t);
            }
        });
        for (int i = 0; i < 100_000; i++) {
            queue.put(i);
        }
        assertTrue(consumer.join(Duration.ofSeconds(20)));
        assertEquals(null, failure.get());
        assertEquals(100_000L * 99_999 / 2, sum[0]);
    }
}
