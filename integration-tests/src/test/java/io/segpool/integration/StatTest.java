package io.segpool.integration;

import io.segpool.allocator.AllocatorConfig;
import io.segpool.allocator.NativeAllocator;
import io.segpool.allocator.jmx.SegpoolJmx;
import io.segpool.counters.CountersFile;
import io.segpool.counters.CountersPublisher;
import io.segpool.pools.DeferPool;
import io.segpool.pools.StackPool;
import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ./segpool stat} through picocli against real counters files: live, watched, stale, broken. */
@Timeout(30)
class StatTest {

    @TempDir
    Path dir;

    record Outcome(int code, String out, String err) {
    }

    private static Outcome stat(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        String[] line = new String[args.length + 1];
        line[0] = "stat";
        System.arraycopy(args, 0, line, 1, args.length);
        return new Outcome(cli.execute(line), out.toString(), err.toString());
    }

    @Test
    void aLiveFileIsPrintedOnceWithTheSourcesFiguresAndWatchedWithRates() throws Exception {
        Path path = dir.resolve("live.counters");
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withName("stat-live"));
             StackPool stacks = StackPool.create(); DeferPool defers = DeferPool.create()) {
            SegpoolJmx stats = new SegpoolJmx(allocator, stacks, defers);
            MemorySegment[] kept = new MemorySegment[100];
            for (int i = 0; i < kept.length; i++) {
                kept[i] = allocator.allocate(48);
            }
            try (CountersPublisher publisher = CountersFile.publish(path, stats, Duration.ofMillis(20))) {
                byte[] before = Files.readAllBytes(path);
                Outcome once = stat(path.toString());
                assertEquals(0, once.code(), once.err());
                MemStats expected = new MemStats();
                stats.readMemStats(expected);
                assertTrue(once.out().contains("process " + ProcessHandle.current().pid() + ", stat-live"), once.out());
                assertTrue(once.out().contains("live: published"), once.out());
                assertTrue(once.out().contains(line("Mallocs", expected.mallocs())), once.out());
                assertTrue(once.out().contains(line("Inuse", expected.inuse())), once.out());
                assertTrue(once.out().contains(line("StackSys", expected.stackSys())), once.out());
                assertEquals("", once.err());

                Outcome watched = stat("--watch", "--count", "3", "--interval", "0.05", path.toString());
                assertEquals(0, watched.code(), watched.err());
                assertEquals(3, watched.out().split("live: published", -1).length - 1, watched.out());
                assertTrue(watched.out().contains("rates/s over"), watched.out());
                assertTrue(watched.out().contains("Sys  ") && watched.out().contains("Inuse "), watched.out());

                // --pid finds the default file of a process.
                Path byPid = CountersFile.defaultPath(ProcessHandle.current().pid(), "stat-pid");
                try (CountersPublisher second = CountersFile.publish(byPid, stats, Duration.ofMillis(20))) {
                    Outcome found = stat("--pid", Long.toString(ProcessHandle.current().pid()));
                    assertEquals(0, found.code(), found.err());
                    assertTrue(found.out().startsWith(byPid.toString()), found.out());
                }
                assertEquals(before.length, Files.readAllBytes(path).length, "stat never resizes the file");
            }
            for (MemorySegment segment : kept) {
                allocator.free(segment);
            }
        }
    }

    @Test
    void aStaleFileSaysSoAndExitsOne() throws Exception {
        byte[] real = published();
        ByteBuffer.wrap(real).order(ByteOrder.LITTLE_ENDIAN).putLong(48, System.currentTimeMillis() - 60_000);
        Path stale = Files.write(dir.resolve("stale.counters"), real);
        long modified = Files.getLastModifiedTime(stale).toMillis();
        Outcome outcome = stat(stale.toString());
        assertEquals(1, outcome.code(), outcome.out() + outcome.err());
        assertTrue(outcome.out().contains("STALE: heartbeat"), outcome.out());
        assertTrue(outcome.out().contains("more than 3 periods"), outcome.out());
        assertArrayEquals(real, Files.readAllBytes(stale), "stat never writes");
        assertEquals(modified, Files.getLastModifiedTime(stale).toMillis());
    }

    @Test
    void brokenFilesGiveOneLineAndExitTwoNeverAStackTrace() throws Exception {
        byte[] real = published();
        byte[] garbage = new byte[real.length];
        new java.util.Random(7).nextBytes(garbage);
        byte[] version = real.clone();
        ByteBuffer.wrap(version).order(ByteOrder.LITTLE_ENDIAN).putLong(8, 2);
        assertBroken(Files.write(dir.resolve("garbage"), garbage).toString(), "not a segpool counters file");
        assertBroken(Files.write(dir.resolve("short"), Arrays.copyOf(real, 200)).toString(), "shorter than the");
        assertBroken(Files.write(dir.resolve("cut"), Arrays.copyOf(real, real.length - 8)).toString(), "truncated");
        assertBroken(Files.write(dir.resolve("v2"), version).toString(), "layout version 2");
        assertBroken(dir.resolve("absent").toString(), "no such file");
        assertBroken(dir.toString(), "");
        Process ended = new ProcessBuilder("true").start();
        ended.waitFor();
        Outcome none = stat("--pid", Long.toString(ended.pid()));
        assertEquals(2, none.code());
        assertTrue(none.err().contains("no counters file of process " + ended.pid()), none.err());
        Outcome both = stat("--pid", "1", "x");
        assertEquals(2, both.code());
        assertTrue(both.err().contains("not both"), both.err());
    }

    private void assertBroken(String file, String words) {
        Outcome outcome = stat(file);
        assertEquals(2, outcome.code(), outcome.out() + outcome.err());
        assertEquals("", outcome.out());
        assertTrue(outcome.err().startsWith("segpool stat: ") && outcome.err().contains(words), outcome.err());
        assertEquals(outcome.err().length() - 1, outcome.err().indexOf('\n'), "one line: " + outcome.err());
        assertFalse(outcome.err().contains("Exception") && outcome.err().contains("\tat "), outcome.err());
    }

    /** The bytes of a real counters file, taken while its publisher ran. */
    private byte[] published() throws Exception {
        Path path = dir.resolve("source.counters");
        try (NativeAllocator allocator = NativeAllocator.create();
             CountersPublisher publisher = CountersFile.publish(path, allocator, Duration.ofMillis(100))) {
            return Files.readAllBytes(path);
        }
    }

    private static String line(String figure, long value) {
        return String.format(Locale.ROOT, "%-14s %,16d%n", figure, value);
    }
}
