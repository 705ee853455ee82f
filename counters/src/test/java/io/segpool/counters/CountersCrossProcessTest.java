package io.segpool.counters;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A child JVM publishes its allocator and pools while it runs a workload; this JVM reads the file:
 * the figures move while it works, and at a quiet moment the file holds the child's own
 * {@code readMemStats} within one period. Killed, the child leaves a file that reads stale.
 */
@Timeout(60)
class CountersCrossProcessTest {

    private static final long PERIOD_MS = 200;

    @TempDir
    Path dir;

    @Test
    void theReaderSeesTheChildsFiguresMoveAndMatchItsReadMemStatsAtAQuietMoment() throws Exception {
        Path path = dir.resolve("child.counters");
        try (Child child = new Child(path)) {
            try (CountersReader reader = CountersReader.open(path)) {
                CountersSnapshot idle = reader.read();
                assertEquals(child.process.pid(), idle.pid());
                child.send("work");
                // Moving: mallocs rise from one publication to the next, and the pools' figures show.
                long seen = idle.figure(CountersSnapshot.MALLOCS);
                int rises = 0;
                long publications = idle.publications();
                while (rises < 3) {
                    CountersSnapshot now = reader.read();
                    if (now.publications() > publications) {
                        publications = now.publications();
                        if (now.figure(CountersSnapshot.MALLOCS) > seen) {
                            rises++;
                            seen = now.figure(CountersSnapshot.MALLOCS);
                        }
                    }
                    Thread.onSpinWait();
                }
                CountersSnapshot working = reader.read();
                assertTrue(working.figure(CountersSnapshot.STACK_SYS) > 0, "StackSys published");
                assertTrue(working.figure(CountersSnapshot.DEFER_SYS) > 0, "DeferSys published");
                assertTrue(working.classTotal(CountersSnapshot.CLASS_REFILLS) > 0, "refills published");

                child.send("stop");
                long[] quiet = child.quiet();
                long after = reader.read().publications();
                long start = System.nanoTime();
                CountersSnapshot next;
                do {
                    next = reader.read();
                    Thread.onSpinWait();
                } while (next.publications() <= after);
                long waitedMs = (System.nanoTime() - start) / 1_000_000;
                assertArrayEquals(quiet, next.figures(), "the file holds the child's readMemStats of the quiet moment");
                assertTrue(quiet[CountersSnapshot.INUSE] > 0, "blocks still in use");
                // The next publication comes within one period; 100 ms more for a scheduler on 2 busy cores.
                assertTrue(waitedMs <= PERIOD_MS + 100, "the next publication came after " + waitedMs + " ms");
                assertNull(next.staleness(Instant.now()));
            }
            child.send("exit");
            assertEquals(0, child.process.waitFor(), "the child closed cleanly");
            assertFalse(Files.exists(path), "the child's close removed the file");
        }
    }

    @Test
    void aKilledChildLeavesAFileThatReadsStale() throws Exception {
        Path path = dir.resolve("killed.counters");
        try (Child child = new Child(path)) {
            child.process.destroyForcibly().waitFor();
            assertTrue(Files.exists(path), "a killed process cannot remove its file");
            try (CountersReader reader = CountersReader.open(path)) {
                CountersSnapshot last = reader.read();
                assertEquals("live", last.state());
                String stale = last.staleness(last.heartbeat().plusMillis(4 * PERIOD_MS));
                assertNotNull(stale);
                assertTrue(stale.contains("not running"), stale);
            }
        }
    }

    /** A child JVM running {@link CountersChild}, its stdin and stdout as lines. */
    private static final class Child implements AutoCloseable {
        final Process process;
        private final PrintWriter in;
        private final BufferedReader out;

        Child(Path path) throws Exception {
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(Arrays.asList(System.getProperty("segpool.childJvmArgs",
                    "--enable-native-access=ALL-UNNAMED").trim().split("\\s+")));
            command.addAll(List.of("-Xmx256m", "-cp", System.getProperty("java.class.path"),
                    CountersChild.class.getName(), path.toString(), Long.toString(PERIOD_MS)));
            process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("ready", out.readLine());
        }

        void send(String word) {
            in.println(word);
        }

        long[] quiet() throws Exception {
            String line = out.readLine();
            assertNotNull(line, "the child ended");
            assertTrue(line.startsWith("quiet "), line);
            return Arrays.stream(line.substring(6).split(" ")).mapToLong(Long::parseLong).toArray();
        }

        @Override
        public void close() throws Exception {
            if (process.isAlive()) {
                process.destroyForcibly().waitFor();
            }
        }
    }
}
