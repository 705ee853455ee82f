package io.segpool.netty;

import io.netty.buffer.ByteBuf;
import io.segpool.allocator.AllocatorConfig;
import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Buffers allocated on one thread and released on others (platform and virtual), as when an
 * event loop hands a read to a worker: every block is freed exactly once (a block freed twice
 * fails the checked free, one never freed stays in {@code Inuse}), and each buffer's bytes are
 * still its own when the releasing thread reads them, so no block was handed out twice.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CrossThreadReleaseTest {

    private static final ByteBuf POISON = io.netty.buffer.Unpooled.EMPTY_BUFFER;

    @Test
    void producersHandBuffersToPlatformAndVirtualReleasers() throws Exception {
        int producers = 2;
        int perProducer = 60_000;
        int releasers = 4;
        try (SegpoolByteBufAllocator alloc = SegpoolByteBufAllocator.create(AllocatorConfig.defaults().withCheckFrees(true))) {
            BlockingQueue<ByteBuf> queue = new ArrayBlockingQueue<>(1024);
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            AtomicLong released = new AtomicLong();
            CountDownLatch done = new CountDownLatch(producers + releasers);
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                int id = p;
                threads.add(Thread.ofPlatform().name("producer-" + p).unstarted(() -> {
                    try {
                        for (int i = 0; i < perProducer; i++) {
                            int size = 16 << (i % 13); // 16 B to 64 KiB
                            ByteBuf buf = alloc.directBuffer(size);
                            long tag = (long) id << 32 | i;
                            buf.writeLong(tag).writerIndex(size);
                            buf.setLong(size - 8, tag);
                            // Some buffers travel as a retained slice whose parent is released here.
                            if (i % 3 == 0) {
                                ByteBuf slice = buf.retainedSlice();
                                buf.release();
                                queue.put(slice);
                            } else {
                                queue.put(buf);
                            }
                        }
                    } catch (Throwable t) {
                        failures.add(t);
                    } finally {
                        done.countDown();
                    }
                }));
            }
            for (int r = 0; r < releasers; r++) {
                Thread.Builder builder = r % 2 == 0 ? Thread.ofVirtual() : Thread.ofPlatform();
                threads.add(builder.name("releaser-" + r).unstarted(() -> {
                    try {
                        for (ByteBuf buf = queue.take(); buf != POISON; buf = queue.take()) {
                            long tag = buf.getLong(0);
                            assertEquals(tag, buf.getLong(buf.capacity() - 8), "another thread wrote into this block");
                            assertTrue(buf.release(), "the last reference frees the block");
                            released.incrementAndGet();
                        }
                    } catch (Throwable t) {
                        failures.add(t);
                    } finally {
                        done.countDown();
                    }
                }));
            }
            threads.forEach(Thread::start);
            for (Thread t : threads.subList(0, producers)) {
                t.join(TimeUnit.SECONDS.toMillis(50));
            }
            for (int r = 0; r < releasers; r++) {
                queue.put(POISON);
            }
            assertTrue(done.await(50, TimeUnit.SECONDS), "threads did not finish");
            assertTrue(failures.isEmpty(), () -> "failures: " + failures);
            assertEquals((long) producers * perProducer, released.get());
            MemStats stats = Idle.assertIdle(alloc);
            assertEquals((long) producers * perProducer, stats.mallocs());
        }
    }

    @Test
    void virtualThreadsAllocateGrowAndReleaseConcurrently() throws Exception {
        int threads = 32;
        int rounds = 3_000;
        try (SegpoolByteBufAllocator alloc = SegpoolByteBufAllocator.create(AllocatorConfig.defaults().withCheckFrees(true))) {
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            CountDownLatch done = new CountDownLatch(threads);
            for (int t = 0; t < threads; t++) {
                int id = t;
                Thread.ofVirtual().start(() -> {
                    try {
                        for (int i = 0; i < rounds; i++) {
                            ByteBuf buf = alloc.directBuffer(64);
                            int n = 8 + (i % 200) * 8;
                            for (int k = 0; k < n / 8; k++) {
                                buf.writeLong((long) id * rounds + i + k);
                            }
                            for (int k = 0; k < n / 8; k++) {
                                assertEquals((long) id * rounds + i + k, buf.readLong());
                            }
                            assertTrue(buf.release());
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    } finally {
                        done.countDown();
                    }
                });
            }
            assertTrue(done.await(50, TimeUnit.SECONDS), "threads did not finish");
            assertTrue(failures.isEmpty(), () -> "failures: " + failures);
            Idle.assertIdle(alloc);
        }
    }
}
