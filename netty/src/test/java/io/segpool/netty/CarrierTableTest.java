package io.segpool.netty;

import io.netty.buffer.ByteBuf;
import io.segpool.allocator.AllocatorConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The recycler's carrier table under many live platform threads at once (more than its first 64
 * slots, so it grows and threads share slots), then a second generation of threads after the
 * first has ended (their slots are handed over): no buffer object and no block is ever held by two
 * live buffers at once, every buffer keeps its own bytes, and every block comes back.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CarrierTableTest {

    private static final int THREADS = 150;
    private static final int ROUNDS = 20;
    private static final int LIVE = 16;

    /** The buffer object under a leak-aware wrapper, if any. */
    private static ByteBuf inner(ByteBuf buf) {
        ByteBuf unwrapped = buf.unwrap();
        return unwrapped != null ? unwrapped : buf;
    }

    private static void generation(SegpoolByteBufAllocator alloc, int generation) throws Exception {
        Set<ByteBuf> liveObjects = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
        Set<Long> liveAddresses = ConcurrentHashMap.newKeySet();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        CyclicBarrier barrier = new CyclicBarrier(THREADS);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int id = generation * THREADS + t;
            threads.add(Thread.ofPlatform().name("carrier-" + id).start(() -> {
                try {
                    for (int round = 0; round < ROUNDS; round++) {
                        ByteBuf[] held = new ByteBuf[LIVE];
                        for (int i = 0; i < LIVE; i++) {
                            ByteBuf buf = alloc.directBuffer(64 << (i % 6));
                            assertTrue(liveObjects.add(inner(buf)), "a buffer object handed out twice");
                            assertTrue(liveAddresses.add(buf.memoryAddress()), "a block handed out twice");
                            buf.writeInt(id).writeInt(round).writeInt(i);
                            held[i] = buf;
                        }
                        // Every thread holds its buffers at once, so the carriers of all of them are live together.
                        barrier.await(30, TimeUnit.SECONDS);
                        for (int i = 0; i < LIVE; i++) {
                            ByteBuf buf = held[i];
                            assertEquals(id, buf.getInt(0), "another thread wrote into this block");
                            assertEquals(round, buf.getInt(4));
                            assertEquals(i, buf.getInt(8));
                            assertTrue(liveAddresses.remove(buf.memoryAddress()));
                            assertTrue(liveObjects.remove(inner(buf)));
                            assertTrue(buf.release());
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                    barrier.reset();
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join(TimeUnit.SECONDS.toMillis(30));
            assertTrue(!thread.isAlive(), thread + " did not end");
        }
        if (!failures.isEmpty()) {
            AssertionError error = new AssertionError(failures.size() + " threads failed");
            failures.forEach(error::addSuppressed);
            throw error;
        }
        assertTrue(liveObjects.isEmpty() && liveAddresses.isEmpty());
    }

    @Test
    void manyLiveThreadsThenTheirSuccessorsShareNoBufferAndLoseNoBlock() throws Exception {
        try (SegpoolByteBufAllocator alloc = SegpoolByteBufAllocator.create(AllocatorConfig.defaults().withCheckFrees(true))) {
            generation(alloc, 0);
            assertTrue(alloc.buffers().tableLength() > 64, "150 live threads grew the 64-slot table");
            generation(alloc, 1);
            Idle.assertIdle(alloc);
        }
    }
}
