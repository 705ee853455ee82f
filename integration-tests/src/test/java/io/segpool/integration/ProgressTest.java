package io.segpool.integration;

import io.segpool.allocator.NativeAllocator;
import io.segpool.allocator.jmx.SegpoolJmx;
import io.segpool.pools.DeferPool;
import io.segpool.pools.StackPool;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProgressTest {

    private static final long INTERVAL = TimeUnit.SECONDS.toNanos(Progress.LINE_INTERVAL_SECONDS);

    /**
     * Off a terminal: no carriage return, a line only when the interval has passed on the clock (which
     * the test moves by hand, so the painter thread's own ticks print nothing in between), one at close.
     */
    @Test
    void offATerminalItPrintsWholeLinesOnePerInterval() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        AtomicLong clock = new AtomicLong();
        try (NativeAllocator allocator = NativeAllocator.create(); StackPool stacks = StackPool.create();
             DeferPool defers = DeferPool.create()) {
            SegpoolJmx stats = new SegpoolJmx(allocator, stacks, defers);
            PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
            try (Progress progress = new Progress(stats, () -> 0.5, out, false, INTERVAL, clock::get)) {
                progress.tick();
                assertEquals(0, lines(bytes), "nothing before the first interval");
                clock.set(INTERVAL - 1);
                progress.tick();
                assertEquals(0, lines(bytes));
                clock.set(INTERVAL);
                progress.tick();
                assertEquals(1, lines(bytes), "one line when the interval has passed, whoever ticked");
                progress.tick();
                assertEquals(1, lines(bytes), "the next interval starts at that line");
                clock.set(3 * INTERVAL);
                progress.tick();
                assertEquals(2, lines(bytes));
            }
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(3, lines(bytes), "and the last line at close: " + text);
        assertFalse(text.contains("\r"), "no carriage-return redraws off a terminal");
        assertTrue(text.startsWith("[############............]  50%  Sys "), text);
    }

    /** On a terminal: every redraw starts with a carriage return, and close ends the kept line. */
    @Test
    void onATerminalItRedrawsInPlace() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (NativeAllocator allocator = NativeAllocator.create(); StackPool stacks = StackPool.create();
             DeferPool defers = DeferPool.create()) {
            SegpoolJmx stats = new SegpoolJmx(allocator, stacks, defers);
            try (Progress progress = new Progress(stats, () -> 1, new PrintStream(bytes, true, StandardCharsets.UTF_8),
                    true, INTERVAL, System::nanoTime)) {
                progress.tick();
            }
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(text.startsWith("\r[########################] 100%"), text);
        assertEquals(1, lines(bytes), "one new line, at close: " + text);
        assertTrue(text.endsWith("\n"), text);
    }

    @Test
    void noConsoleIsNoTerminal() {
        assertFalse(Progress.isTerminal(null));
    }

    private static long lines(ByteArrayOutputStream bytes) {
        return bytes.toString(StandardCharsets.UTF_8).chars().filter(c -> c == '\n').count();
    }
}
