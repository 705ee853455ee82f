package io.segpool.pools;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@org.junit.jupiter.api.Timeout(60)
class DeferScopeTest {

    private final DeferPool pool = DeferPool.create();
    private final List<Long> ran = new ArrayList<>();
    private final int record = pool.register(args -> ran.add(args.size() >= 8 ? args.word() : -1));

    @AfterEach
    void close() {
        pool.close();
    }

    @Test
    void actionsRunLastInFirstOutAndTheirBlocksGoBack() {
        try (DeferScope scope = pool.newScope()) {
            for (long i = 1; i <= 100; i++) {
                scope.defer(record, i);
            }
            scope.defer(record);
            assertEquals(101, scope.pending());
            assertEquals(101 * 48, deferInuse());
        }
        assertEquals(-1L, ran.getFirst());
        for (int i = 1; i <= 100; i++) {
            assertEquals(101 - i, ran.get(i));
        }
        assertEquals(0, deferInuse());
    }

    @Test
    void argumentsOfEverySizeComeBackByteForByte() {
        MemorySegment[] seen = new MemorySegment[1];
        Arena arena = Arena.ofAuto();
        int copy = pool.register(args -> {
            MemorySegment target = arena.allocate(Math.max(1, args.size()));
            args.copyTo(target);
            seen[0] = target.asSlice(0, args.size());
        });
        try (DeferScope scope = pool.newScope()) {
            for (int size = 0; size <= 300; size++) {
                MemorySegment arguments = arena.allocate(Math.max(1, size)).asSlice(0, size);
                for (int i = 0; i < size; i++) {
                    arguments.set(ValueLayout.JAVA_BYTE, i, (byte) (size * 31 + i));
                }
                scope.defer(copy, arguments);
                scope.runDeferred();
                assertArrayEquals(arguments.toArray(ValueLayout.JAVA_BYTE), seen[0].toArray(ValueLayout.JAVA_BYTE),
                        "size " + size);
            }
        }
        assertEquals(0, deferInuse());
    }

    @Test
    void typedReadsAreBoundsChecked() {
        AtomicReference<Throwable> outside = new AtomicReference<>();
        long[] read = new long[3];
        int reader = pool.register(args -> {
            read[0] = args.getLong(0);
            read[1] = args.getInt(8);
            read[2] = args.getByte(11);
            try {
                args.getLong(5);
            } catch (IndexOutOfBoundsException e) {
                outside.set(e);
            }
        });
        try (Arena arena = Arena.ofConfined(); DeferScope scope = pool.newScope()) {
            MemorySegment arguments = arena.allocate(12);
            arguments.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 0x1122334455667788L);
            arguments.set(ValueLayout.JAVA_INT_UNALIGNED, 8, 0x0A0B0C0D);
            scope.defer(reader, arguments);
        }
        assertEquals(0x1122334455667788L, read[0]);
        assertEquals(0x0A0B0C0D, read[1]);
        assertEquals(0x0A, read[2]);
        assertTrue(outside.get().getMessage().contains("offset 5"), outside.get().getMessage());
    }

    @Test
    void argsAreUnreadableOnceTheirHandlerReturns() {
        AtomicReference<DeferArgs> escaped = new AtomicReference<>();
        int keep = pool.register(escaped::set);
        try (DeferScope scope = pool.newScope()) {
            scope.defer(keep, 5L);
        }
        assertThrows(IllegalStateException.class, () -> escaped.get().word());
        assertThrows(IllegalStateException.class, () -> escaped.get().getLong(0));
    }

    /** A freed block is zeroed: the next defer of its class sees none of the last one's bytes. */
    @Test
    void blocksGoBackZeroed() {
        int nothing = pool.register(args -> { });
        try (Arena arena = Arena.ofConfined(); DeferScope scope = pool.newScope()) {
            MemorySegment secret = arena.allocate(72).fill((byte) 0x5A);
            scope.defer(nothing, secret);
            long first = scope.head();
            scope.runDeferred();
            scope.defer(nothing, arena.allocate(57));
            assertEquals(first, scope.head(), "the ring hands the same block back");
            MemorySegment block = pool.allocator().segment(first, 112);
            for (long i = DeferBlocks.HEADER; i < 112; i++) {
                assertEquals(0, block.get(ValueLayout.JAVA_BYTE, i), "byte " + i + " of the reused block");
            }
        }
    }

    @Test
    void everyActionRunsWhenSomeThrowAndTheFirstThrowableWins() {
        IllegalStateException first = new IllegalStateException("first");
        AssertionError second = new AssertionError("second");
        int throwFirst = pool.register(args -> { throw first; });
        int throwSecond = pool.register(args -> { throw second; });
        DeferScope scope = pool.newScope();
        scope.defer(record, 1L);
        scope.defer(throwFirst);
        scope.defer(record, 2L);
        scope.defer(throwSecond);
        scope.defer(record, 3L);
        // Run order: 3, throwSecond, 2, throwFirst, 1: the second handler's error is thrown first.
        Throwable thrown = assertThrows(AssertionError.class, scope::close);
        assertSame(second, thrown);
        assertArrayEquals(new Throwable[] {first}, thrown.getSuppressed());
        assertEquals(List.of(3L, 2L, 1L), ran);
        assertEquals(0, deferInuse(), "every block went back");
        assertThrows(IllegalStateException.class, () -> scope.defer(record), "closed even though an action threw");
    }

    @Test
    void anActionMayDeferAgainAndItRunsInTheSameCall() {
        DeferScope[] holder = new DeferScope[1];
        int chain = pool.register(args -> {
            ran.add(args.word());
            if (args.word() > 0) {
                holder[0].defer(0, args.word() - 1);
            }
        });
        assertEquals(0, record);
        try (DeferScope scope = pool.newScope()) {
            holder[0] = scope;
            scope.defer(chain, 3L);
        }
        assertEquals(List.of(3L, 2L), ran, "chain defers `record` (id 0) with 2, which records and stops");
        assertEquals(0, deferInuse());
    }

    @Test
    void aScopeMovesToAnotherThreadWithItsPendingDefers() throws Exception {
        DeferScope scope = pool.newScope();
        scope.defer(record, 7L);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread other = Thread.ofPlatform().unstarted(() -> {
            try {
                scope.defer(record, 8L);
                scope.close();
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        scope.moveTo(other);
        other.start();
        assertTrue(other.join(java.time.Duration.ofSeconds(10)), "the other thread did not finish");
        assertNull(failure.get());
        assertEquals(List.of(8L, 7L), ran);
        assertThrows(WrongThreadException.class, () -> scope.defer(record), "the old owner is refused");
        assertEquals(0, deferInuse());
    }

    @Test
    void wrongCallsAreRefusedAndChangeNothing() throws Exception {
        DeferScope scope = pool.newScope();
        scope.defer(record, 1L);
        MemStats before = figures();
        long head = scope.head();

        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> scope.defer(99, 1L));
        assertTrue(unknown.getMessage().contains("handler id 99"), unknown.getMessage());
        assertThrows(IllegalArgumentException.class, () -> scope.defer(-1));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment tooBig = arena.allocate(DeferBlocks.MAX_ARGS + 1);
            IllegalArgumentException big = assertThrows(IllegalArgumentException.class, () -> scope.defer(record, tooBig));
            assertTrue(big.getMessage().contains(Long.toString(DeferBlocks.MAX_ARGS + 1)), big.getMessage());
        }
        AtomicReference<Throwable> fromOther = new AtomicReference<>();
        Thread other = Thread.ofPlatform().start(() -> {
            try {
                scope.defer(record, 2L);
            } catch (Throwable t) {
                fromOther.set(t);
            }
        });
        assertTrue(other.join(java.time.Duration.ofSeconds(10)), "the other thread did not finish");
        assertInstanceOf(WrongThreadException.class, fromOther.get());
        assertTrue(fromOther.get().getMessage().contains("moveTo"), fromOther.get().getMessage());

        assertEquals(before, figures());
        assertEquals(head, scope.head());
        assertEquals(1, scope.pending());
        scope.close();
        assertEquals(List.of(1L), ran);
        assertThrows(IllegalStateException.class, () -> scope.defer(record, 3L));
        assertThrows(IllegalStateException.class, scope::runDeferred);
    }

    @Test
    void aClosedPoolRefusesNewScopesAndDefers() {
        DeferScope scope = pool.newScope();
        pool.close();
        assertThrows(IllegalStateException.class, pool::newScope);
        assertThrows(IllegalStateException.class, () -> scope.defer(record, 1L));
    }

    private long deferInuse() {
        MemStats stats = new MemStats();
        pool.readPoolStats(stats);
        return stats.deferInuse();
    }

    private MemStats figures() {
        MemStats stats = new MemStats();
        pool.readMemStats(stats);
        return stats;
    }
}
