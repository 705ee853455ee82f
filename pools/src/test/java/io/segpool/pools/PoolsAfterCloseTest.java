package io.segpool.pools;

import io.segpool.allocator.AllocatorConfig;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * After a pool closes, no pool call hands out an address or a segment over the unmapped memory
 * (issue 17, item 8): every allocation throws {@link IllegalStateException}, on the bump path as on
 * the slow ones, with free checks on and off, on platform and virtual threads, whether the pool
 * was closed or its allocator was; and closing what is still open (a frame, a stack, a scope with
 * nothing pending) completes quietly, since the memory went back with the pool.
 */
@Timeout(60)
class PoolsAfterCloseTest {

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (boolean checked : new boolean[] {true, false}) {
            for (boolean virtual : new boolean[] {false, true}) {
                for (boolean viaAllocator : new boolean[] {false, true}) {
                    all.add(Arguments.of(checked, virtual, viaAllocator));
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "free checks {0}, virtual {1}, allocator closed directly {2}")
    @MethodSource("cases")
    void aClosedStackPoolHandsOutNoAddressAndNoSegment(boolean checked, boolean virtual, boolean viaAllocator)
            throws Exception {
        run(virtual, () -> {
            StackPool pool = StackPool.create(AllocatorConfig.defaults().withCheckFrees(checked));
            SegmentedStack stack = pool.newStack();
            Frame outer = stack.push();
            outer.allocate(100_000); // a big block
            Frame frame = stack.push();
            MemorySegment held = frame.allocate(64);
            held.set(ValueLayout.JAVA_LONG, 0, 1);
            MemorySegment kept = pool.allocate();
            // The rings now hold segments of this thread's cache: a ring hit after close must be refused too.
            MemorySegment[] cycled = {pool.allocate(), pool.allocate()};
            for (MemorySegment segment : cycled) {
                pool.free(segment);
            }
            if (viaAllocator) {
                pool.allocator().close();
            } else {
                pool.close();
            }

            refused("bump allocateAddress", () -> frame.allocateAddress(16));
            refused("bump allocate", () -> frame.allocate(16));
            refused("bump allocate, aligned", () -> frame.allocate(16, 4096));
            refused("a new segment by address", () -> frame.allocateAddress(pool.segmentSize()));
            refused("a new segment", () -> frame.allocate(pool.segmentSize()));
            refused("a big block", () -> frame.allocate(100_000));
            refused("a big aligned block", () -> frame.allocate(64, 65536));
            refused("a pool segment", pool::allocate);
            refused("a new stack", pool::newStack);
            assertThrows(IllegalStateException.class, () -> held.get(ValueLayout.JAVA_LONG, 0),
                    "a segment handed out before close is unusable");
            assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_LONG, 0));

            assertDoesNotThrow(frame::close, "a frame closes after its pool");
            assertFalse(frame.isOpen());
            refused("an outer frame's bump", () -> outer.allocateAddress(8));
            assertDoesNotThrow(stack::close, "a stack closes after its pool");
            assertThrows(IllegalStateException.class, stack::push, "and refuses every call afterwards");
            assertDoesNotThrow(pool::close, "close is idempotent");
        });
    }

    @ParameterizedTest(name = "free checks {0}, virtual {1}, allocator closed directly {2}")
    @MethodSource("cases")
    void aClosedDeferPoolTakesNoDeferAndItsScopesCloseCleanly(boolean checked, boolean virtual, boolean viaAllocator)
            throws Exception {
        run(virtual, () -> {
            DeferPool pool = DeferPool.create(DeferPool.defaultConfig().withCheckFrees(checked));
            int[] ran = new int[1];
            int handler = pool.register(args -> ran[0]++);
            DeferScope idle = pool.newScope();
            DeferScope busy = pool.newScope();
            for (long size : new long[] {-1, -8, 24, 72, 500}) {
                DeferRefusalTest.defer(busy, handler, size);
                DeferRefusalTest.defer(idle, handler, size);
            }
            idle.runDeferred(); // spares of every pooled class, nothing pending
            busy.runDeferred();
            ran[0] = 0;
            busy.defer(handler, 5L);
            if (viaAllocator) {
                pool.allocator().close();
            } else {
                pool.close();
            }

            refused("a new scope", pool::newScope);
            for (long size : new long[] {-1, -8, 24, 72, 500}) {
                refused("a defer of " + size + " bytes", () -> DeferRefusalTest.defer(idle, handler, size));
            }
            refused("running pending defers", busy::runDeferred);
            assertDoesNotThrow(idle::close, "a scope with nothing pending closes quietly after its pool");
            IllegalStateException dropped = assertThrows(IllegalStateException.class, busy::close);
            assertTrue(dropped.getMessage().contains("1 deferred action"), dropped.getMessage());
            assertEquals(0, ran[0], "no action ran over unmapped memory");
            assertDoesNotThrow(busy::close, "and the scope is closed: close is idempotent");
            assertThrows(IllegalStateException.class, () -> busy.defer(handler), "closed");
        });
    }

    private static void refused(String what, org.junit.jupiter.api.function.Executable call) {
        IllegalStateException thrown = assertThrows(IllegalStateException.class, call, what + " after close");
        assertTrue(thrown.getMessage() != null && thrown.getMessage().contains("closed"),
                what + ": " + thrown.getMessage());
    }

    interface Body {
        void run() throws Exception;
    }

    /** Runs {@code body} on a new platform or virtual thread, joined within 30 s; rethrows what it threw. */
    static void run(boolean virtual, Body body) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable task = () -> {
            try {
                body.run();
            } catch (Throwable t) {
                failure.set(t);
            }
        };
        Thread thread = virtual ? Thread.ofVirtual().start(task) : Thread.ofPlatform().start(task);
        assertTrue(thread.join(Duration.ofSeconds(30)), "the test's thread did not finish");
        Throwable thrown = failure.get();
        if (thrown instanceof Error error) {
            throw error;
        }
        if (thrown instanceof Exception exception) {
            throw exception;
        }
        assertNull(thrown);
    }
}
