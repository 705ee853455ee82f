package io.segpool.pools;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seed 002's TestStackMem in Java: 512 batches of 32 new platform threads; each pushes 128 frames of
 * 1 KiB on its own {@link SegmentedStack}, sleeps 1 ms at the bottom (the seed's
 * {@code time.Sleep}, which keeps the 32 stacks deep at once, not a wait for other threads), pops
 * them all and ends. Every thread is a new cache in the pool's allocator, and every one ends with
 * segments in its ring: they must flow back to the global stack so that {@code StackSys} stays
 * bounded. The seed's bound is 8 × 32 × 1024 × 128 bytes = 32 MiB; our goal is 16 MiB.
 *
 * <p>The shape is the seed's in full and runs in CI (a few seconds here). Set
 * {@code -Dsegpool.stackmem.batches=N} to run another number of batches.
 */
@org.junit.jupiter.api.Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
class TestStackMem {

    private static final int BATCHES = Integer.getInteger("segpool.stackmem.batches", 512);
    private static final int BATCH_SIZE = 32;
    private static final int FRAMES = 128;
    private static final int FRAME_BYTES = 1024;
    private static final long SEED_BOUND = 8L * BATCH_SIZE * FRAME_BYTES * FRAMES;

    @Test
    void stackSysStaysBoundedWhileThreadsComeAndGo() throws Exception {
        try (StackPool pool = StackPool.create()) {
            MemStats before = new MemStats();
            pool.readPoolStats(before);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicLong framesChecked = new AtomicLong();
            long start = System.nanoTime();
            for (int batch = 0; batch < BATCHES; batch++) {
                Thread[] threads = new Thread[BATCH_SIZE];
                for (int i = 0; i < BATCH_SIZE; i++) {
                    threads[i] = Thread.ofPlatform().start(() -> {
                        try (SegmentedStack stack = pool.newStack()) {
                            grow(stack, FRAMES);
                            framesChecked.addAndGet(FRAMES);
                        } catch (Throwable t) {
                            failure.compareAndSet(null, t);
                        }
                    });
                }
                for (Thread thread : threads) {
                    assertTrue(thread.join(java.time.Duration.ofSeconds(60)), thread + " did not finish");
                }
            }
            long elapsed = System.nanoTime() - start;
            assertNull(failure.get());
            assertEquals((long) BATCHES * BATCH_SIZE * FRAMES, framesChecked.get());

            MemStats after = new MemStats();
            pool.readPoolStats(after);
            long growth = after.stackSys() - before.stackSys();
            System.out.printf("TestStackMem: %d batches x %d threads x %d frames of %d B: StackSys grew %,d bytes"
                            + " (%.1f MiB; seed bound %d MiB, goal 16 MiB), StackInuse %,d bytes after, %.1f s%n",
                    BATCHES, BATCH_SIZE, FRAMES, FRAME_BYTES, growth, growth / 1048576.0, SEED_BOUND >> 20,
                    after.stackInuse(), elapsed / 1e9);
            assertTrue(growth <= SEED_BOUND, "StackSys grew " + growth + " bytes, above the seed's " + SEED_BOUND);
            assertTrue(after.stackInuse() <= 1 << 20, "StackInuse " + after.stackInuse() + " above 1 MiB");
        }
    }

    /** One frame per level, each with a 1 KiB buffer that must keep its bytes until the frame closes. */
    private static void grow(SegmentedStack stack, int depth) throws InterruptedException {
        try (Frame frame = stack.push()) {
            MemorySegment buffer = frame.allocate(FRAME_BYTES);
            buffer.set(ValueLayout.JAVA_INT, 0, depth);
            buffer.set(ValueLayout.JAVA_INT, FRAME_BYTES - 4, depth);
            if (depth > 1) {
                grow(stack, depth - 1);
            } else {
                Thread.sleep(1);
            }
            if (buffer.get(ValueLayout.JAVA_INT, 0) != depth || buffer.get(ValueLayout.JAVA_INT, FRAME_BYTES - 4) != depth) {
                throw new AssertionError("frame at depth " + depth + " lost its bytes");
            }
        }
    }
}
