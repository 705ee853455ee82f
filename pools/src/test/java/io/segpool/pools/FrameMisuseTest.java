package io.segpool.pools;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every wrong use of a frame is refused with the JDK's exception type and a message naming the
 * rule, and leaves the stack, its frames and the pool's figures exactly as they were: afterwards
 * the frames still close in order and every byte goes back.
 */
@org.junit.jupiter.api.Timeout(60)
class FrameMisuseTest {

    /** The stack under test: frames a (depth 1) and b (depth 2) open, c closed at depth 3. */
    record Scene(StackPool pool, SegmentedStack stack, Frame a, Frame b, Frame closed) {
    }

    private Scene scene;

    @BeforeEach
    void open() {
        StackPool pool = StackPool.create();
        SegmentedStack stack = pool.newStack();
        Frame a = stack.push();
        a.allocate(3000);
        Frame b = stack.push();
        b.allocate(7000);
        Frame c = stack.push();
        c.allocate(100);
        c.close();
        scene = new Scene(pool, stack, a, b, c);
    }

    @AfterEach
    void close() {
        scene.pool().close();
    }

    static Stream<Arguments> misuses() {
        return Stream.of(
                misuse("close an outer frame while an inner one is open", IllegalStateException.class,
                        "innermost first", s -> s.a()::close),
                misuse("allocate in an outer frame while an inner one is open", IllegalStateException.class,
                        "innermost first", s -> () -> s.a().allocate(16)),
                misuse("allocate in a closed frame", IllegalStateException.class, "closed",
                        s -> () -> s.closed().allocate(16)),
                misuse("a closed frame whose depth is open again", IllegalStateException.class, "closed", s -> () -> {
                    Frame reopened = s.stack().push();
                    try {
                        s.closed().allocate(16);
                    } finally {
                        reopened.close();
                    }
                }),
                misuse("negative size", IllegalArgumentException.class, "-1", s -> () -> s.b().allocate(-1)),
                misuse("alignment not a power of two", IllegalArgumentException.class, "power of two",
                        s -> () -> s.b().allocate(16, 24)),
                misuse("zero alignment", IllegalArgumentException.class, "power of two",
                        s -> () -> s.b().allocate(16, 0)),
                misuse("huge size", IllegalArgumentException.class, "largest block",
                        s -> () -> s.b().allocate(Long.MAX_VALUE / 2)),
                misuse("huge size by address", IllegalArgumentException.class, "largest block",
                        s -> () -> s.b().allocateAddress(Long.MAX_VALUE)),
                misuse("negative size by address", IllegalArgumentException.class, "-5",
                        s -> () -> s.b().allocateAddress(-5)),
                misuse("alignment above 1 GiB", IllegalArgumentException.class, "alignment " + (1L << 31),
                        s -> () -> s.b().allocate(16, 1L << 31)),
                misuse("the largest power-of-two alignment", IllegalArgumentException.class, "alignment " + (1L << 62),
                        s -> () -> s.b().allocate(16, 1L << 62)),
                misuse("element size times count overflows", IllegalArgumentException.class, "exceeds",
                        s -> () -> s.b().allocate(java.lang.foreign.ValueLayout.JAVA_LONG, Long.MAX_VALUE / 4)),
                misuse("negative element count", IllegalArgumentException.class, "Negative",
                        s -> () -> s.b().allocate(java.lang.foreign.ValueLayout.JAVA_LONG, -1)),
                misuse("use from another thread", WrongThreadException.class, "belongs to",
                        s -> () -> rethrow(onOtherThread(() -> s.b().allocate(16)))),
                misuse("push from another thread", WrongThreadException.class, "belongs to",
                        s -> () -> rethrow(onOtherThread(() -> s.stack().push()))));
    }

    private static Arguments misuse(String name, Class<? extends Throwable> type, String words,
                                    Function<Scene, Executable> call) {
        return Arguments.of(name, type, words, call);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("misuses")
    void refusedWithoutChangingState(String name, Class<? extends Throwable> type, String words,
                                     Function<Scene, Executable> call) {
        MemStats before = figures();
        int depth = scene.stack().depth();
        int segments = scene.stack().segmentsHeld();

        Throwable refused = null;
        try {
            call.apply(scene).execute();
        } catch (Throwable t) {
            refused = t;
        }
        assertNotNull(refused, name + " was not refused");
        assertInstanceOf(type, refused, name);
        assertTrue(refused.getMessage().contains(words), name + ": " + refused.getMessage());

        assertEquals(before, figures(), name + " changed the pool's figures");
        assertEquals(depth, scene.stack().depth());
        assertEquals(segments, scene.stack().segmentsHeld());
        assertTrue(scene.a().isOpen() && scene.b().isOpen());
        scene.b().allocate(10);
        scene.b().close();
        scene.a().close();
        assertEquals(SegmentedStackTest.spare(scene.stack()), SegmentedStackTest.inuse(scene.pool()),
                "after " + name + " every byte still comes back but the stack's spare, counted in StackInuse");
        assertEquals(SegmentedStackTest.spare(scene.stack()), scene.stack().flush());
        assertEquals(0, SegmentedStackTest.inuse(scene.pool()), "after " + name + " and a flush every byte came back");
    }

    private MemStats figures() {
        MemStats stats = new MemStats();
        scene.pool().readMemStats(stats);
        return stats;
    }

    private static Throwable onOtherThread(Runnable action) throws InterruptedException {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread thread = Thread.ofPlatform().start(() -> {
            try {
                action.run();
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        assertTrue(thread.join(java.time.Duration.ofSeconds(10)), "the other thread did not finish");
        return thrown.get();
    }

    private static void rethrow(Throwable t) throws Throwable {
        if (t != null) {
            throw t;
        }
    }
}
