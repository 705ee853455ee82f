package io.segpool.pools;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a scope does with the blocks it keeps: a spare is reused by the next defer of its class,
 * leaves the scope only zeroed whole, and a block whose header was overwritten is refused before
 * its action runs.
 */
class DeferBlockReuseTest {

    private final DeferPool pool = DeferPool.create();
    private final List<Long> ran = new ArrayList<>();
    private final int record = pool.register(args -> ran.add(args.size() >= 8 ? args.word() : -1));

    @AfterEach
    void close() {
        pool.close();
    }

    @Test
    void aSpareLeavesTheScopeZeroedWholeHeaderIncluded() throws Exception {
        int nothing = pool.register(args -> { });
        DeferScope scope = pool.newScope();
        long block;
        try (Arena arena = Arena.ofConfined()) {
            scope.defer(nothing, arena.allocate(72).fill((byte) 0x5A));
            block = scope.head();
            scope.runDeferred(); // the block stays in the scope as its class's spare
        }
        MemorySegment bytes = pool.allocator().segment(block, 112);
        assertNotEquals(0, bytes.get(ValueLayout.JAVA_LONG, DeferBlocks.CHECK), "the spare still holds its header");
        Thread other = Thread.ofPlatform().unstarted(() -> { });
        scope.moveTo(other); // spares go back to this thread's cache first
        for (long i = 0; i < 112; i++) {
            assertEquals(0, bytes.get(ValueLayout.JAVA_BYTE, i), "byte " + i + " of the block given back");
        }
    }

    @Test
    void theSteadyLoopReusesOneBlockPerClass() {
        try (DeferScope scope = pool.newScope()) {
            scope.defer(record, 1L);
            long first = scope.head();
            scope.runDeferred();
            for (long i = 2; i <= 5; i++) {
                scope.defer(record, i);
                assertEquals(first, scope.head(), "defer " + i + " took the spare");
                scope.runDeferred();
            }
        }
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), ran);
    }

    /** The running block is not the spare and goes back to the allocator; the defer its action made fills its slot. */
    @Test
    void anActionThatDefersIntoTheSlotItFreedRunsInTheSameCall() {
        DeferScope[] holder = new DeferScope[1];
        int again = pool.register(args -> {
            ran.add(args.word());
            if (args.word() == 20) {
                holder[0].defer(record, 30L);
            }
        });
        try (DeferScope scope = pool.newScope()) {
            holder[0] = scope;
            scope.defer(record, 1L);
            scope.runDeferred();      // the class now has a spare
            scope.defer(record, 10L); // takes the spare
            scope.defer(again, 20L);  // a new block of the class, freed when run
            scope.runDeferred();
            assertEquals(0, scope.pending());
        }
        assertEquals(List.of(1L, 20L, 30L, 10L), ran);
    }

    @Test
    void aHeaderWithAnotherHandlerIsRefusedBeforeAnyActionRuns() {
        int other = pool.register(args -> ran.add(-99L));
        DeferScope scope = pool.newScope();
        scope.defer(record, 7L);
        MemorySegment header = pool.allocator().segment(scope.head(), DeferBlocks.HEADER);
        header.set(ValueLayout.JAVA_INT, DeferBlocks.HANDLER, other);
        IllegalStateException bad = assertThrows(IllegalStateException.class, scope::runDeferred);
        assertTrue(bad.getMessage().startsWith("bad defer block"), bad.getMessage());
        assertEquals(List.of(), ran, "no action ran");
        assertEquals(1, scope.pending(), "the bad block is still pending");
    }

    @Test
    void aHeaderWithAnotherSizeIsRefused() {
        DeferScope scope = pool.newScope();
        scope.defer(record, 7L);
        MemorySegment header = pool.allocator().segment(scope.head(), DeferBlocks.HEADER);
        header.set(ValueLayout.JAVA_INT, DeferBlocks.ARG_SIZE, 4096);
        assertThrows(IllegalStateException.class, scope::runDeferred);
        assertEquals(List.of(), ran);
    }
}
