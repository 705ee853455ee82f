package io.segpool.pools;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A scope's actions calling back into their own scope, and other wrong uses the defer API allows:
 * each is refused with the JDK's exception type before it changes anything, or completes with
 * every block accounted for; in every case no defer block is in use once the scope closes.
 */
@Timeout(60)
class DeferScopeMisuseTest {

    private final DeferPool pool = DeferPool.create();
    private final List<Long> ran = new ArrayList<>();
    private final int record = pool.register(args -> ran.add(args.size() >= 8 ? args.word() : -1));

    @AfterEach
    void close() {
        pool.close();
    }

    @Test
    void anActionCannotMoveItsScopeWhileItRuns() throws Exception {
        DeferScope scope = pool.newScope();
        Thread other = Thread.ofPlatform().unstarted(() -> { });
        int move = pool.register(args -> scope.moveTo(other));
        scope.defer(record, 1L);
        scope.defer(move);
        scope.defer(record, 2L);
        IllegalStateException refused = assertThrows(IllegalStateException.class, scope::runDeferred);
        assertTrue(refused.getMessage().contains("while its deferred actions run"), refused.getMessage());
        assertEquals(List.of(2L, 1L), ran, "the other actions ran");
        // Still this thread's, with its blocks flowing through this thread's cache.
        for (long i = 3; i < 40; i++) {
            scope.defer(record, i);
        }
        scope.close();
        assertEquals(0, DeferRefusalTest.deferInuse(pool));
    }

    @Test
    void anActionThatClosesItsScopeLeavesNoBlockBehind() {
        DeferScope scope = pool.newScope();
        int close = pool.register(args -> scope.close());
        scope.defer(record, 1L);
        scope.runDeferred(); // a spare of class 0
        scope.defer(record, 2L); // takes the spare
        scope.defer(close);      // a second block of class 0
        scope.defer(record, 3L);
        scope.runDeferred();
        assertEquals(List.of(1L, 3L, 2L), ran);
        assertThrows(IllegalStateException.class, () -> scope.defer(record), "the action closed the scope");
        assertEquals(0, DeferRefusalTest.deferInuse(pool), "every block went back, the running one too");
    }

    @Test
    void aScopeCannotMoveToAThreadThatHasEnded() throws Exception {
        Thread ended = Thread.ofPlatform().start(() -> { });
        assertTrue(ended.join(Duration.ofSeconds(10)));
        DeferScope scope = pool.newScope();
        scope.defer(record, 1L);
        MemStats before = DeferRefusalTest.figures(pool);
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> scope.moveTo(ended));
        assertTrue(refused.getMessage().contains(ended.toString()) && refused.getMessage().contains("ended"),
                refused.getMessage());
        assertEquals(before, DeferRefusalTest.figures(pool));
        assertEquals(1, scope.pending(), "still this thread's");
        scope.close();
        assertEquals(List.of(1L), ran);
    }

    @Test
    void argsAreReadableOnlyByTheThreadRunningTheirHandler() throws Exception {
        AtomicReference<Throwable> fromOther = new AtomicReference<>();
        int leak = pool.register(args -> {
            CountDownLatch done = new CountDownLatch(1);
            Thread.ofPlatform().start(() -> {
                try {
                    args.getLong(0);
                } catch (Throwable t) {
                    fromOther.set(t);
                } finally {
                    done.countDown();
                }
            });
            try {
                assertTrue(done.await(10, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        try (DeferScope scope = pool.newScope()) {
            scope.defer(leak, 5L);
        }
        assertInstanceOf(WrongThreadException.class, fromOther.get());
        assertTrue(fromOther.get().getMessage().contains("DeferArgs"), fromOther.get().getMessage());
    }

    @Test
    void anActionThatRunsTheRestStillReadsItsOwnArguments() {
        DeferScope[] holder = new DeferScope[1];
        long[] after = new long[2];
        int nested = pool.register(args -> {
            holder[0].runDeferred(); // runs the older defers, each binding its own arguments
            after[0] = args.word();
            after[1] = args.getLong(8);
        });
        try (DeferScope scope = pool.newScope()) {
            holder[0] = scope;
            scope.defer(record, 1L);
            MemorySegment two = MemorySegment.ofArray(new long[] {77, 88});
            scope.defer(nested, two);
        }
        assertArrayEquals(new long[] {77, 88}, after);
        assertEquals(List.of(1L), ran);
        assertEquals(0, DeferRefusalTest.deferInuse(pool));
    }

    @Test
    void aBadBlockAtCloseKeepsTheFirstThrowableAndEveryBlockGoesBack() {
        IllegalStateException first = new IllegalStateException("first");
        int fail = pool.register(args -> { throw first; });
        DeferScope scope = pool.newScope();
        scope.defer(record, 1L);
        long bad = scope.head();
        scope.defer(record, 2L);
        scope.defer(fail);
        pool.allocator().segment(bad, DeferBlocks.HEADER)
                .set(java.lang.foreign.ValueLayout.JAVA_INT, DeferBlocks.HANDLER, fail); // corrupt the oldest
        IllegalStateException thrown = assertThrows(IllegalStateException.class, scope::close);
        assertTrue(thrown.getMessage().startsWith("bad defer block"), thrown.getMessage());
        assertSame(first, thrown.getSuppressed()[0], "the action's throwable is not lost");
        assertEquals(List.of(2L), ran, "the bad block's action did not run");
        assertThrows(IllegalStateException.class, scope::pending, "the scope is closed");
        assertEquals(0, DeferRefusalTest.deferInuse(pool), "every block went back, the bad one zeroed");
    }

    @Test
    void anActionThatClosesThePoolEndsTheScopeCleanly() {
        DeferScope scope = pool.newScope();
        AtomicReference<Throwable> readAfterClose = new AtomicReference<>();
        int closePool = pool.register(args -> {
            pool.close();
            try {
                args.getLong(0); // its block went back to the OS with the pool
            } catch (Throwable t) {
                readAfterClose.set(t);
            }
        });
        scope.defer(record, 1L);
        scope.defer(closePool, MemorySegment.ofArray(new long[] {5}));
        IllegalStateException thrown = assertThrows(IllegalStateException.class, scope::close);
        assertTrue(thrown.getMessage().contains("closed"), thrown.getMessage());
        assertInstanceOf(IllegalStateException.class, readAfterClose.get(), "a read over unmapped memory");
        assertEquals(List.of(), ran, "nothing ran over the unmapped blocks");
        scope.close(); // closed: idempotent
    }
}
