package io.segpool.arrow;

import io.segpool.stats.MemStats;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Buffers built on two platform threads and released on two others and on two virtual threads:
 * each buffer carries its own stamp at its first, middle and last 8 bytes, checked before its
 * release, so two live buffers over the same memory (a block handed out twice) show as a wrong
 * stamp; every count must come back to zero, with exactly one free per buffer.
 */
class CrossThreadReleaseTest {

    private static final int PRODUCERS = 2;
    private static final int PER_PRODUCER = 20_000;

    @Test
    void releaseOnAnyThreadFreesEachBlockOnce() throws Exception {
        try (SegpoolArrow memory = SegpoolArrow.create();
             BufferAllocator root = memory.newRootAllocator(Long.MAX_VALUE)) {
            BlockingQueue<Object> queue = new ArrayBlockingQueue<>(256);
            Object stop = new Object();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            int consumers = 4;
            CountDownLatch done = new CountDownLatch(PRODUCERS + consumers);
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < PRODUCERS; p++) {
                long seed = p;
                threads.add(Thread.ofPlatform().daemon().unstarted(() -> {
                    try {
                        SplittableRandom random = new SplittableRandom(seed);
                        for (int i = 0; i < PER_PRODUCER; i++) {
                            ArrowBuf buf = root.buffer(8 << random.nextInt(0, 17)); // 8 B to 512 KiB
                            long stamp = (seed << 32) | i;
                            stamp(buf, stamp);
                            queue.put(new Object[] {buf, stamp});
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    } finally {
                        done.countDown();
                    }
                }));
            }
            for (int c = 0; c < consumers; c++) {
                Thread.Builder builder = c % 2 == 0 ? Thread.ofPlatform().daemon() : Thread.ofVirtual();
                threads.add(builder.unstarted(() -> {
                    try {
                        for (Object item; (item = queue.take()) != stop; ) {
                            Object[] pair = (Object[]) item;
                            ArrowBuf buf = (ArrowBuf) pair[0];
                            long stamp = (Long) pair[1];
                            long cap = buf.capacity();
                            for (long at : new long[] {0, (cap / 2) & ~7L, cap - 8}) {
                                if (buf.getLong(at) != stamp) {
                                    throw new AssertionError("buffer " + stamp + " reads " + buf.getLong(at) + " at " + at);
                                }
                            }
                            buf.close();
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    } finally {
                        done.countDown();
                    }
                }));
            }
            threads.forEach(Thread::start);
            for (int p = 0; p < PRODUCERS; p++) {
                threads.get(p).join(TimeUnit.SECONDS.toMillis(60));
            }
            for (int c = 0; c < consumers; c++) {
                assertTrue(queue.offer(stop, 30, TimeUnit.SECONDS), "consumers stalled");
            }
            assertTrue(done.await(60, TimeUnit.SECONDS), "threads did not finish");
            assertNull(failure.get(), () -> "a thread failed: " + failure.get());
            assertEquals(0, memory.liveBuffers());
            assertEquals(0, root.getAllocatedMemory());
            MemStats stats = new MemStats();
            memory.readMemStats(stats);
            assertEquals(0, stats.inuse(), "Inuse");
            assertEquals((long) PRODUCERS * PER_PRODUCER, stats.mallocs(), "one block per buffer");
            assertEquals(stats.mallocs(), stats.frees(), "one free per block");
        }
    }

    private static void stamp(ArrowBuf buf, long stamp) {
        long cap = buf.capacity();
        buf.setLong(0, stamp);
        buf.setLong((cap / 2) & ~7L, stamp);
        buf.setLong(cap - 8, stamp);
    }
}
