package io.segpool.allocator;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every wrong call is refused with the JDK's exception type and a message that names the value
 * and the rule, and leaves MemStats exactly as it was; the allocator stays usable afterwards.
 */
class MisuseTest {

    private NativeAllocator allocator;
    private NativeAllocator other;
    private Arena arena;
    /** A live 64-byte block, handed out by {@link #allocator}. */
    private MemorySegment live;
    /** A 64-byte block that was freed. */
    private MemorySegment freed;
    /** A live large block: a mapping of its own. */
    private MemorySegment large;

    @BeforeEach
    void setUp() {
        allocator = NativeAllocator.create();
        other = NativeAllocator.create();
        arena = Arena.ofConfined();
        live = allocator.allocate(64);
        freed = allocator.allocate(64);
        allocator.free(freed);
        large = allocator.allocate(SizeClasses.MAX_SIZE + 1);
    }

    @AfterEach
    void tearDown() {
        allocator.close();
        other.close();
        arena.close();
    }

    record Case(Class<? extends RuntimeException> type, String[] words, Consumer<MisuseTest> call) {
        static Case of(Class<? extends RuntimeException> type, Consumer<MisuseTest> call, String... words) {
            return new Case(type, words, call);
        }
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                named("negative size", Case.of(IllegalArgumentException.class,
                        t -> t.allocator.allocate(-5), "-5", "negative")),
                named("negative size, by address", Case.of(IllegalArgumentException.class,
                        t -> t.allocator.allocateAddress(-1), "-1", "negative")),
                named("huge size", Case.of(IllegalArgumentException.class,
                        t -> t.allocator.allocate(Long.MAX_VALUE), String.valueOf(Long.MAX_VALUE), "largest")),
                named("alignment zero", Case.of(IllegalArgumentException.class,
                        t -> t.allocator.allocate(64, 0), "alignment 0", "power of two")),
                named("alignment not a power of two", Case.of(IllegalArgumentException.class,
                        t -> t.allocator.allocate(64, 24), "alignment 24", "power of two")),
                named("alignment negative", Case.of(IllegalArgumentException.class,
                        t -> t.allocator.allocate(64, -8), "alignment -8", "power of two")),
                named("alignment too large", Case.of(IllegalArgumentException.class,
                        t -> t.allocator.allocate(64, 1L << 40), "alignment " + (1L << 40), "power of two")),
                named("segment from an Arena", Case.of(IllegalArgumentException.class,
                        t -> t.allocator.free(t.arena.allocate(64)), "not from this allocator")),
                named("heap segment", Case.of(IllegalArgumentException.class,
                        t -> t.allocator.free(MemorySegment.ofArray(new byte[64])), "heap segment")),
                named("segment of another allocator", Case.of(IllegalArgumentException.class,
                        t -> t.allocator.free(t.other.allocate(64)), "another NativeAllocator")),
                named("forged segment over a live block", Case.of(IllegalArgumentException.class,
                        t -> t.allocator.free(MemorySegment.ofAddress(t.live.address()).reinterpret(64)),
                        "another scope")),
                named("forged segment over a live large block", Case.of(IllegalArgumentException.class,
                        t -> t.allocator.free(MemorySegment.ofAddress(t.large.address()).reinterpret(t.large.byteSize())),
                        "another scope")),
                named("slice inside a block", Case.of(IllegalArgumentException.class,
                        t -> t.allocator.free(t.live.asSlice(16)), "starts 16 bytes into a 64-byte block")),
                named("shorter view of a block", Case.of(IllegalArgumentException.class,
                        t -> t.allocator.free(t.live.asSlice(0, 32)), "32 bytes", "allocated with 64")),
                named("double free", Case.of(IllegalStateException.class,
                        t -> t.allocator.free(t.freed), "already free", "double free")),
                named("double free by address", Case.of(IllegalStateException.class,
                        t -> t.allocator.freeAddress(t.freed.address(), 64), "double free")),
                named("address in no chunk", Case.of(IllegalArgumentException.class,
                        t -> t.allocator.freeAddress(0x1234_5670L, 64), "0x12345670", "not from this allocator")),
                named("address of a block with the wrong size", Case.of(IllegalArgumentException.class,
                        t -> t.allocator.freeAddress(t.live.address(), 48), "48 bytes", "allocated with 64")),
                named("view past the end of a chunk", Case.of(IllegalArgumentException.class,
                        t -> t.allocator.segment(t.live.address(), 1L << 30), "must lie inside one block")),
                named("a view reaching past its block into the neighbours", Case.of(IllegalArgumentException.class,
                        t -> t.allocator.segment(t.live.address(), 4096), "segment(0x", "holds 64 bytes", "inside one block")),
                named("a view of an address no block holds", Case.of(IllegalArgumentException.class,
                        t -> t.allocator.segment(0x1234_5670L, 8), "segment(0x12345670, 8)", "no block")));
    }

    private static Arguments named(String name, Case c) {
        return Arguments.of(Named.of(name, c));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void isRefusedWithAClearMessageAndChangesNothing(Case c) {
        MemStats before = TestSupport.stats(allocator);
        RuntimeException thrown = assertThrows(RuntimeException.class, () -> c.call().accept(this));
        assertInstanceOf(c.type(), thrown, thrown.toString());
        for (String word : c.words()) {
            assertTrue(thrown.getMessage().contains(word), "'" + word + "' missing from: " + thrown.getMessage());
        }
        assertEquals(before, TestSupport.stats(allocator), "MemStats changed by a refused call");
        // Still fully usable: the live block frees, a new one comes.
        allocator.free(live);
        live = allocator.allocate(64);
    }

    @ParameterizedTest
    @MethodSource("afterClose")
    void everyCallAfterCloseIsRefused(Consumer<MisuseTest> call) {
        allocator.close();
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> call.accept(this));
        assertTrue(thrown.getMessage().contains("closed"), thrown.getMessage());
    }

    static Stream<Arguments> afterClose() {
        return Stream.of(
                Arguments.of(Named.<Consumer<MisuseTest>>of("allocate", t -> t.allocator.allocate(64))),
                Arguments.of(Named.<Consumer<MisuseTest>>of("allocate aligned", t -> t.allocator.allocate(64, 64))),
                Arguments.of(Named.<Consumer<MisuseTest>>of("allocateAddress", t -> t.allocator.allocateAddress(8))),
                Arguments.of(Named.<Consumer<MisuseTest>>of("free", t -> t.allocator.free(t.live))),
                Arguments.of(Named.<Consumer<MisuseTest>>of("freeAddress", t -> t.allocator.freeAddress(t.live.address(), 64))),
                Arguments.of(Named.<Consumer<MisuseTest>>of("trim", t -> t.allocator.trim())),
                Arguments.of(Named.<Consumer<MisuseTest>>of("readMemStats", t -> t.allocator.readMemStats(new MemStats()))),
                Arguments.of(Named.<Consumer<MisuseTest>>of("threadCache", t -> t.allocator.threadCache())),
                Arguments.of(Named.<Consumer<MisuseTest>>of("touch a block", t -> t.live.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0))));
    }

    /**
     * Trim gives a free chunk's pages back but keeps them mapped: a stale segment over a trimmed
     * block reads zeros (never faults, never the old contents), and freeing it again is refused.
     */
    @org.junit.jupiter.api.Test
    void aStaleSegmentAfterTrimReadsZerosAndItsFreeIsRefusedAndChangesNothing() throws Exception {
        MemorySegment[] block = new MemorySegment[1];
        TestThreads.Failure failure = new TestThreads.Failure();
        Thread thread = TestThreads.start("short-lived", failure, () -> {
            block[0] = allocator.allocate(4096);
            block[0].fill((byte) 0x5A);
            allocator.free(block[0]);
        });
        TestThreads.joinAll(thread);
        failure.rethrow("the short-lived thread failed");
        assertTrue(allocator.trim() > 0, "the ended thread's block went central, and its chunk to the OS");
        MemStats before = TestSupport.stats(allocator);
        assertTrue(before.released() >= 4096 * 16, "the chunk counts as released\n" + before);
        assertEquals(-1, block[0].mismatch(arena.allocate(4096)), "a trimmed block reads as zeros");
        IllegalStateException freedAgain = assertThrows(IllegalStateException.class, () -> allocator.free(block[0]));
        assertTrue(freedAgain.getMessage().contains("gave back to the OS"), freedAgain.getMessage());
        assertEquals(before, TestSupport.stats(allocator));
    }
}
