package io.segpool.pools;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A refused defer changes nothing (issue 17, item 7): whichever check refuses it (a closed arena's
 * arguments, another thread's confined arguments, arguments too large, no arguments, a handler id
 * that is not registered, another thread, a closed scope), in every defer class, with and without
 * a free spare of the class in the scope, the pool's figures are what they were before the call,
 * the scope's pending defers are untouched, the spare is still the one the next defer takes, and
 * once the scope closes DeferInuse is 0.
 */
@Timeout(60)
class DeferRefusalTest {

    /** Argument sizes: one of every pooled class, then two of exact-size blocks; -1 and -8 mean the word defers. */
    private static final long[] SIZES = {-1, -8, 1, 24, 40, 56, 72, 73, 4096};
    /** Argument bytes of the defer pending during the refusal: an exact-size block, never a spare. */
    private static final int PENDING = 200;

    /** A confined arena of another thread, open until the class ends, and its segment. */
    private static OtherThreadArena foreign;

    @BeforeAll
    static void openForeignArena() throws Exception {
        foreign = OtherThreadArena.open(DeferBlocks.MAX_ARGS);
    }

    @AfterAll
    static void closeForeignArena() throws Exception {
        foreign.close();
    }

    /** One way to be refused, for arguments of {@code size} bytes ({@code null} when it does not apply to the size). */
    interface Refusal {
        Throwable attempt(DeferScope scope, int handler, long size) throws Exception;
    }

    static Stream<Arguments> refusals() {
        List<Arguments> all = new ArrayList<>();
        for (long size : SIZES) {
            for (boolean spare : new boolean[] {false, true}) {
                if (spare && size > DeferBlocks.MAX_POOLED_ARGS) {
                    continue;
                }
                if (size > 0) {
                    all.add(Arguments.of("a closed arena's arguments", size, spare, IllegalStateException.class,
                            "closed", (Refusal) (scope, handler, bytes) -> refused(() -> {
                                MemorySegment closed;
                                try (Arena arena = Arena.ofConfined()) {
                                    closed = arena.allocate(bytes);
                                }
                                scope.defer(handler, closed);
                            })));
                    all.add(Arguments.of("another thread's confined arguments", size, spare,
                            WrongThreadException.class, "confined", (Refusal) (scope, handler, bytes) -> refused(
                                    () -> scope.defer(handler, foreign.segment().asSlice(0, bytes)))));
                    all.add(Arguments.of("a handler id that is not registered", size, spare,
                            IllegalArgumentException.class, "handler id 99", (Refusal) (scope, handler, bytes) ->
                                    refused(() -> scope.defer(99, MemorySegment.ofArray(new byte[(int) bytes])))));
                }
                all.add(Arguments.of("a negative handler id", size, spare, IllegalArgumentException.class,
                        "handler id -1", (Refusal) (scope, handler, bytes) -> refused(() -> defer(scope, -1, bytes))));
                all.add(Arguments.of("another thread", size, spare, WrongThreadException.class, "belongs to",
                        (Refusal) (scope, handler, bytes) -> onOtherThread(() -> defer(scope, handler, bytes))));
            }
        }
        all.add(Arguments.of("arguments over 64 KiB", DeferBlocks.MAX_ARGS + 1, false, IllegalArgumentException.class,
                Long.toString(DeferBlocks.MAX_ARGS + 1), (Refusal) (scope, handler, bytes) -> refused(
                        () -> scope.defer(handler, MemorySegment.ofArray(new byte[(int) bytes])))));
        all.add(Arguments.of("no arguments segment", 1, true, NullPointerException.class, "",
                (Refusal) (scope, handler, bytes) -> refused(() -> scope.defer(handler, (MemorySegment) null))));
        return all.stream();
    }

    @ParameterizedTest(name = "{0}, {1} bytes, spare {2}")
    @MethodSource("refusals")
    void aRefusedDeferChangesNothing(String name, long size, boolean withSpare, Class<? extends Throwable> type,
                                     String words, Refusal refusal) throws Exception {
        try (DeferPool pool = DeferPool.create()) {
            int[] ran = new int[1];
            int handler = pool.register(args -> ran[0]++);
            DeferScope scope = pool.newScope();
            long spare = 0;
            if (withSpare) {
                defer(scope, handler, size);
                spare = scope.head();
                scope.runDeferred(); // the block stays in the scope as its class's spare
                ran[0] = 0;
            }
            scope.defer(handler, MemorySegment.ofArray(new byte[PENDING])); // a defer the refusal must not disturb
            long head = scope.head();
            MemStats before = figures(pool);

            Throwable thrown = refusal.attempt(scope, handler, size);

            assertNotNull(thrown, name + " was not refused");
            assertInstanceOf(type, thrown, name);
            assertTrue(thrown.getMessage() == null ? words.isEmpty() : thrown.getMessage().contains(words),
                    name + ": " + thrown.getMessage());
            assertEquals(before, figures(pool), name + " changed the pool's figures");
            assertEquals(1, scope.pending(), name + " changed the pending defers");
            assertEquals(head, scope.head());
            if (withSpare) {
                defer(scope, handler, size);
                assertEquals(spare, scope.head(), "after " + name + " the next defer of the class still takes the spare");
                assertEquals(before, figures(pool), "and takes nothing from the allocator");
            }
            scope.close();
            assertEquals(withSpare ? 2 : 1, ran[0], "the pending defers ran, the refused one did not");
            assertEquals(0, deferInuse(pool), "after " + name + " and the scope's close, no defer block is in use");
        }
    }

    @ParameterizedTest(name = "{0} bytes")
    @MethodSource("sizes")
    void aClosedScopeRefusesEveryDeferAndHoldsNoBlock(long size) {
        try (DeferPool pool = DeferPool.create()) {
            int handler = pool.register(args -> { });
            DeferScope scope = pool.newScope();
            defer(scope, handler, size);
            scope.runDeferred();
            scope.close();
            MemStats before = figures(pool);
            Throwable thrown = refused(() -> defer(scope, handler, size));
            assertInstanceOf(IllegalStateException.class, thrown);
            assertTrue(thrown.getMessage().contains("closed"), thrown.getMessage());
            assertEquals(before, figures(pool));
            assertEquals(0, deferInuse(pool));
        }
    }

    static Stream<Long> sizes() {
        return java.util.Arrays.stream(SIZES).boxed();
    }

    /** Defers {@code size} argument bytes the way the size names: -1 no argument, -8 one word, else a segment. */
    static void defer(DeferScope scope, int handler, long size) {
        if (size == -1) {
            scope.defer(handler);
        } else if (size == -8) {
            scope.defer(handler, 42L);
        } else {
            scope.defer(handler, MemorySegment.ofArray(new byte[(int) size]));
        }
    }

    static MemStats figures(DeferPool pool) {
        MemStats stats = new MemStats();
        pool.readMemStats(stats);
        return stats;
    }

    static long deferInuse(DeferPool pool) {
        MemStats stats = new MemStats();
        pool.readPoolStats(stats);
        return stats.deferInuse();
    }

    interface Call {
        void run() throws Exception;
    }

    static Throwable refused(Call call) {
        try {
            call.run();
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    /** What {@code call} threw on a new platform thread, joined within 10 s. */
    static Throwable onOtherThread(Call call) throws InterruptedException {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread thread = Thread.ofPlatform().start(() -> thrown.set(refused(call)));
        assertTrue(thread.join(java.time.Duration.ofSeconds(10)), "the other thread did not finish");
        return thrown.get();
    }

    /** A confined arena owned by a thread of its own, which closes it when told to. */
    record OtherThreadArena(MemorySegment segment, CountDownLatch done, Thread owner) {

        static OtherThreadArena open(long bytes) throws Exception {
            AtomicReference<MemorySegment> made = new AtomicReference<>();
            CountDownLatch ready = new CountDownLatch(1);
            CountDownLatch done = new CountDownLatch(1);
            Thread owner = Thread.ofPlatform().name("arena-owner").start(() -> {
                try (Arena arena = Arena.ofConfined()) {
                    made.set(arena.allocate(bytes));
                    ready.countDown();
                    done.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertTrue(ready.await(10, TimeUnit.SECONDS), "the arena's thread did not start");
            assertFalse(made.get().isAccessibleBy(Thread.currentThread()));
            return new OtherThreadArena(made.get(), done, owner);
        }

        void close() throws InterruptedException {
            done.countDown();
            assertTrue(owner.join(java.time.Duration.ofSeconds(10)), "the arena's thread did not end");
        }
    }
}
