package io.segpool.allocator;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Four threads make a million random allocate/free operations each over random sizes, and pass
 * one block in eight to another thread to free. Each block is stamped at both ends with a value
 * unique to its allocation that its holder remembers and checks on free: a block handed out twice
 * is overwritten by its second owner and fails the check; a block lost shows in the final sums.
 */
class ConservationTest {

    private static final int THREADS = 4;
    private static final int OPS_PER_THREAD = 1_000_000;
    private static final int MAX_HELD = 300;

    /** A block and the stamp its allocation wrote. */
    private record Held(MemorySegment segment, long stamp) {
    }

    @Test
    void noBlockIsHandedOutTwiceOrLostAndEveryByteIsAccountedFor() throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            ConcurrentLinkedQueue<Held> exchange = new ConcurrentLinkedQueue<>();
            CyclicBarrier start = new CyclicBarrier(THREADS);
            List<Thread> threads = new ArrayList<>();
            List<Throwable> failures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                long seed = 42 + t;
                threads.add(Thread.ofPlatform().name("worker-" + t).start(() -> {
                    try {
                        start.await();
                        work(allocator, exchange, seed);
                    } catch (Throwable e) {
                        synchronized (failures) {
                            failures.add(e);
                        }
                    }
                }));
            }
            TestThreads.joinAll(threads);
            if (!failures.isEmpty()) {
                throw new AssertionError(failures.size() + " workers failed", failures.getFirst());
            }
            Held left;
            while ((left = exchange.poll()) != null) {
                checkAndFree(allocator, left);
            }
            MemStats stats = TestSupport.stats(allocator);
            assertEquals(0, stats.inuse(), "every block freed\n" + stats);
            assertEquals(stats.mallocs(), stats.frees(), "mallocs == frees\n" + stats);
            assertTrue(stats.mallocs() >= THREADS * (long) OPS_PER_THREAD / 3, "the workers did work\n" + stats);
            TestSupport.assertConserved(stats);
        }
    }

    private static void work(NativeAllocator allocator, ConcurrentLinkedQueue<Held> exchange, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Held[] held = new Held[MAX_HELD];
        int count = 0;
        for (int op = 0; op < OPS_PER_THREAD; op++) {
            if (count == 0 || (count < MAX_HELD && random.nextBoolean())) {
                MemorySegment block = allocator.allocate(randomSize(random));
                long stamp = random.nextLong();
                stamp(block, stamp);
                held[count++] = new Held(block, stamp);
                continue;
            }
            int i = random.nextInt(count);
            Held victim = held[i];
            held[i] = held[--count];
            if (random.nextInt(8) == 0) {
                exchange.add(victim);
                victim = exchange.poll();
            }
            if (victim != null) {
                checkAndFree(allocator, victim);
            }
        }
        for (int i = 0; i < count; i++) {
            exchange.add(held[i]);
        }
    }

    private static long randomSize(SplittableRandom random) {
        int kind = random.nextInt(1000);
        if (kind < 600) {
            return random.nextInt(257);
        }
        if (kind < 950) {
            return 1 + random.nextInt(16 * 1024);
        }
        if (kind < 999) {
            return 1 + random.nextInt((int) SizeClasses.MAX_SIZE);
        }
        return SizeClasses.MAX_SIZE + 1 + random.nextInt(1 << 20);
    }

    private static void stamp(MemorySegment block, long stamp) {
        long size = block.byteSize();
        for (long i = 0; i < Math.min(size, 8); i++) {
            block.set(ValueLayout.JAVA_BYTE, i, (byte) (stamp >>> (8 * i)));
        }
        if (size >= 16) {
            block.set(ValueLayout.JAVA_LONG_UNALIGNED, size - 8, Long.rotateLeft(stamp, 17));
        }
    }

    private static void checkAndFree(NativeAllocator allocator, Held held) {
        MemorySegment block = held.segment();
        long size = block.byteSize();
        boolean intact = true;
        for (long i = 0; i < Math.min(size, 8); i++) {
            intact &= block.get(ValueLayout.JAVA_BYTE, i) == (byte) (held.stamp() >>> (8 * i));
        }
        if (size >= 16) {
            intact &= block.get(ValueLayout.JAVA_LONG_UNALIGNED, size - 8) == Long.rotateLeft(held.stamp(), 17);
        }
        if (!intact) {
            throw new AssertionError("block 0x" + Long.toHexString(block.address()) + " (" + size
                    + " bytes) was written by another owner while held: handed out twice");
        }
        allocator.free(block);
    }
}
