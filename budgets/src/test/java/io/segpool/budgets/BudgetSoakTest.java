package io.segpool.budgets;

import io.segpool.allocator.NativeAllocator;
import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Four threads allocate and free through a tree of budgets near their limits (blocks also freed
 * by another thread than the one that allocated them) while an observer thread reads every
 * budget's use: it must never see a budget above its limit, every refusal must be one that did
 * not fit when it was decided, and the tree must end at exactly 0 with the allocator's Inuse back
 * where it started.
 */
@Timeout(60)
class BudgetSoakTest {

    private static final int THREADS = 4;
    private static final int OPS = 150_000;

    @Test
    void fourThreadsNeverPassALimitAndEndAtZero() throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            MemStats stats = new MemStats();
            allocator.readMemStats(stats);
            long inuseBefore = stats.inuse();
            Budget root = Budget.root(allocator, "db", 6L << 20);
            Budget shared = root.newChild("shared", 256 << 10, 3L << 20);
            List<Budget> budgets = new ArrayList<>(List.of(root, shared));
            Budget[] own = new Budget[THREADS];
            for (int t = 0; t < THREADS; t++) {
                own[t] = shared.newChild("op-" + t, t * 64L << 10, 1L << 20);
                budgets.add(own[t]);
            }
            ConcurrentLinkedQueue<Object[]> handoff = new ConcurrentLinkedQueue<>();
            AtomicBoolean done = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicLong refusals = new AtomicLong();
            AtomicLong observations = new AtomicLong();
            CountDownLatch start = new CountDownLatch(1);
            Thread observer = new Thread(() -> {
                while (!done.get()) {
                    for (Budget b : budgets) {
                        long used = b.used();
                        if (used > b.limit()) {
                            failure.compareAndSet(null, new AssertionError(b.path() + " used " + used + " > " + b.limit()));
                        }
                    }
                    observations.incrementAndGet();
                }
            });
            observer.start();
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int id = t;
                Thread w = new Thread(() -> {
                    try {
                        start.await();
                        work(id, new SplittableRandom(id * 7919L), new Budget[] {own[id], shared, root}, handoff, refusals);
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
                workers.add(w);
                w.start();
            }
            start.countDown();
            for (Thread w : workers) {
                w.join(TimeUnit.SECONDS.toMillis(50));
                assertTrue(!w.isAlive(), "a worker hung");
            }
            for (Object[] left; (left = handoff.poll()) != null; ) {
                ((Budget) left[0]).free((MemorySegment) left[1]);
            }
            done.set(true);
            observer.join(TimeUnit.SECONDS.toMillis(10));
            assertNull(failure.get(), () -> "failure: " + failure.get());
            assertTrue(observations.get() > 100, "the observer ran");
            assertTrue(refusals.get() > 0, "the limits were reached");
            for (Budget b : budgets) {
                assertEquals(0, b.allocated(), b.path());
            }
            root.flush();
            shared.flush();
            for (Budget b : own) {
                b.flush();
            }
            for (Budget b : own) {
                assertEquals(0, b.used(), b.path());
            }
            assertEquals(THREADS * (THREADS - 1) / 2 * 64L << 10, shared.used(), "only the ops' reservations");
            root.close();
            assertEquals(0, root.used());
            allocator.readMemStats(stats);
            assertEquals(inuseBefore, stats.inuse());
        }
    }

    private static void work(int id, SplittableRandom random, Budget[] mine, ConcurrentLinkedQueue<Object[]> handoff,
            AtomicLong refusals) {
        ArrayDeque<Object[]> held = new ArrayDeque<>();
        for (int i = 0; i < OPS; i++) {
            int op = random.nextInt(10);
            if (op < 5 || held.isEmpty()) {
                Budget b = mine[random.nextInt(mine.length)];
                long size = random.nextInt(4) == 0 ? random.nextLong(4096, 128 << 10) : random.nextLong(1, 2048);
                try {
                    held.add(new Object[] {b, b.allocate(size)});
                } catch (BudgetLimitException e) {
                    refusals.incrementAndGet();
                    if (e.used() + e.blockSize() <= e.limit()) {
                        throw new AssertionError("refused a request that fitted: " + e.getMessage());
                    }
                }
            } else if (op < 8) {
                Object[] h = held.poll();
                ((Budget) h[0]).free((MemorySegment) h[1]);
            } else if (op == 8) {
                handoff.add(held.poll());
            } else {
                Object[] other = handoff.poll();
                if (other != null) {
                    ((Budget) other[0]).free((MemorySegment) other[1]);
                }
            }
        }
        for (Object[] h : held) {
            ((Budget) h[0]).free((MemorySegment) h[1]);
        }
    }
}
