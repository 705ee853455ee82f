package io.segpool.pools;

import io.segpool.allocator.MemoryLimitException;
import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A scope's multi-step changes either complete or leave it as it was when something throws in
 * the middle: a new block past the pool's memory limit (in every defer class, with the scope's
 * spares in place), a run where actions throw, a close where they do. DeferInuse and DeferSys are
 * conserved, and the scope is still usable afterwards or closed with every block back.
 */
@Timeout(60)
class DeferFaultTest {

    /**
     * Room for one chunk of every class the test uses (the 112 B class's is 448 KiB), and small
     * enough to fill quickly. A MemoryLimitException is an OutOfMemoryError, which JUnit rethrows
     * and which ends the test JVM: every call that can reach the limit sits in a try.
     */
    private static final long LIMIT = 4L << 20;
    /** Argument sizes of every pooled defer class, then exact-size blocks. */
    private static final int[] SIZES = {8, 24, 40, 56, 72, 1000, 65536};

    @Test
    void aBlockPastTheMemoryLimitChangesNothingInAnyClass() {
        try (DeferPool pool = DeferPool.create(DeferPool.defaultConfig().withMemoryLimit(LIMIT))) {
            int[] ran = new int[1];
            int handler = pool.register(args -> ran[0]++);
            DeferScope scope = pool.newScope();
            for (int size : SIZES) { // a free spare of every pooled class
                scope.defer(handler, MemorySegment.ofArray(new byte[size]));
            }
            scope.runDeferred();
            int deferred = 0;
            for (int size : SIZES) {
                MemorySegment arguments = MemorySegment.ofArray(new byte[size]);
                MemoryLimitException refused = null;
                while (refused == null && deferred < 200_000) {
                    MemStats before = figures(pool);
                    int pending = scope.pending();
                    long head = scope.head();
                    try {
                        scope.defer(handler, arguments);
                        deferred++;
                    } catch (MemoryLimitException e) {
                        refused = e;
                        MemStats after = figures(pool);
                        assertEquals(before.deferSys(), after.deferSys(), "DeferSys, " + size + " bytes");
                        assertEquals(before.deferInuse(), after.deferInuse(), "DeferInuse, " + size + " bytes");
                        assertEquals(pending, scope.pending());
                        assertEquals(head, scope.head());
                    }
                }
                assertTrue(refused != null, "the limit was reached for " + size + " bytes");
            }
            ran[0] = 0;
            scope.runDeferred();
            assertEquals(deferred, ran[0], "every accepted defer ran once");
            for (int size : SIZES) { // the spares are still there and the scope defers again
                scope.defer(handler, MemorySegment.ofArray(new byte[size]));
            }
            scope.close();
            assertEquals(0, figures(pool).deferInuse());
        }
    }

    @Test
    void aRunWhereActionsThrowGivesEveryBlockBackAndTheScopeGoesOn() {
        try (DeferPool pool = DeferPool.create()) {
            List<Long> ran = new ArrayList<>();
            IllegalStateException first = new IllegalStateException("first");
            int record = pool.register(args -> ran.add(args.word()));
            int fail = pool.register(args -> {
                ran.add(-args.word());
                throw first;
            });
            DeferScope scope = pool.newScope();
            scope.defer(record, 1L);
            scope.runDeferred(); // a spare
            MemStats idle = figures(pool);
            for (long i = 1; i <= 50; i++) {
                scope.defer(i % 7 == 0 ? fail : record, i);
            }
            IllegalStateException thrown = assertThrows(IllegalStateException.class, scope::runDeferred);
            assertSame(first, thrown);
            assertEquals(50, ran.size() - 1, "every action ran");
            assertEquals(0, scope.pending());
            MemStats after = figures(pool);
            assertEquals(idle.deferInuse(), after.deferInuse(), "only the spare is still held");
            assertEquals(idle.deferSys(), after.deferSys());

            ran.clear();
            scope.defer(record, 99L);
            scope.close();
            assertEquals(List.of(99L), ran, "the scope went on");
            assertEquals(0, figures(pool).deferInuse());
        }
    }

    @Test
    void aCloseWhereEveryActionThrowsStillClosesAndFreesEverything() {
        try (DeferPool pool = DeferPool.create()) {
            int[] count = new int[1];
            int fail = pool.register(args -> {
                count[0]++;
                throw new IllegalArgumentException("action " + args.size());
            });
            DeferScope scope = pool.newScope();
            for (int size : SIZES) {
                scope.defer(fail, MemorySegment.ofArray(new byte[size]));
            }
            IllegalArgumentException thrown = assertThrows(IllegalArgumentException.class, scope::close);
            assertEquals("action 65536", thrown.getMessage(), "the newest action's throwable is thrown");
            assertEquals(SIZES.length - 1, thrown.getSuppressed().length);
            assertEquals(SIZES.length, count[0]);
            assertThrows(IllegalStateException.class, () -> scope.defer(fail), "closed");
            assertEquals(0, figures(pool).deferInuse());
        }
    }

    /** DeferSys and DeferInuse through readMemStats, as a user reads them. */
    static MemStats figures(DeferPool pool) {
        MemStats stats = new MemStats();
        pool.readPoolStats(stats);
        return stats;
    }
}
