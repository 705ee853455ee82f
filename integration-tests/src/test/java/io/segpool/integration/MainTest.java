package io.segpool.integration;

import io.segpool.integration.examples.Example;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ./segpool command line, run through picocli's execute: exit codes and messages, no System.exit. */
class MainTest {

    /** What one command line printed and returned. */
    record Outcome(int code, String out, String err) {
    }

    private static Outcome run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Outcome(code, out.toString(), err.toString());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            nosuch                            | unknown command 'nosuch'
            demo --bogus 1                    | '--bogus'
            demo --ring 1000                  | --ring 1000: must be a power of two from 2 to 1048576
            demo --ring 1                     | --ring 1: must be a power of two
            demo --seconds 0                  | --seconds 0: must be above 0
            demo --seconds NaN                | --seconds NaN: must be above 0
            demo --rate 0                     | --rate 0: must be max or a whole number from 1 to 100000000
            demo --rate fast                  | --rate fast: must be max or a whole number
            demo --producers 0                | --producers 0: must be from 1 to 64
            stat --interval 0                 | --interval 0.0: must be from 0.05 to 3600
            stat --count 0                    | --count 0: must be at least 1
            stat --pid abc                    | 'abc' is not a long
            soak --threads 2.5                | '2.5' is not an int
            soak --seconds -1                 | --seconds -1: must be above 0
            soak --seconds 1 --operations 5   | mutually exclusive
            soak --operations 0               | --operations 0: must be at least 1
            soak --threads 0                  | --threads 0: must be from 1 to 256
            soak --seed 1.5                   | '1.5' is not a long
            stackmem --frames 99999           | --frames 99999: must be from 1 to 4096
            stackmem --frame-bytes 2000000    | --frame-bytes 2000000: must be from 1 to 1048576
            stackmem --batches 1e3            | '1e3' is not an int
            vthreads --threads                | Missing required parameter for option '--threads'
            vthreads --threads 3000000000     | '3000000000' is not an int
            db --queries 0                    | --queries 0: must be from 1 to 256
            db --threads fibers               | --threads fibers: must be pool, virtual or both
            """)
    void badUsageIsOneLineOnStandardErrorAndExitTwo(String line, String expected) {
        Outcome outcome = run(line.trim().split(" +"));
        assertEquals(2, outcome.code(), outcome.err());
        assertTrue(outcome.err().endsWith("\n") && outcome.err().indexOf('\n') == outcome.err().length() - 1,
                "one line: " + outcome.err());
        assertTrue(outcome.err().contains(expected), outcome.err());
        assertTrue(outcome.err().startsWith("segpool"), outcome.err());
        assertFalse(outcome.err().contains("Exception"), "no stack trace: " + outcome.err());
        assertEquals("", outcome.out());
    }

    @Test
    void noCommandPrintsTheUsageAndExitsTwo() {
        Outcome outcome = run();
        assertEquals(2, outcome.code());
        assertTrue(outcome.err().contains("Usage: segpool"), outcome.err());
    }

    @Test
    void eachCommandHasGeneratedHelpWithItsOptionsAndDefaults() {
        for (String[] command : new String[][] {{"demo", "--seconds", "--ring"},
                {"stackmem", "--batches", "--threads", "--frames", "--frame-bytes"}, {"vthreads", "--threads"},
                {"soak", "--seconds", "--operations", "--threads", "--seed"}, {"example"}}) {
            Outcome outcome = run(command[0], "--help");
            assertEquals(0, outcome.code());
            assertTrue(outcome.out().startsWith("Usage: segpool " + command[0]), outcome.out());
            for (int i = 1; i < command.length; i++) {
                assertTrue(outcome.out().contains(command[i] + "=N"), command[i] + " in " + outcome.out());
            }
        }
        assertTrue(run("demo", "--help").out().contains("(default 1024)"));
        Outcome help = run("help");
        assertEquals(0, help.code());
        for (String command : new String[] {"demo", "stackmem", "vthreads", "soak", "example"}) {
            assertTrue(help.out().contains("  " + command + " "), command + " in " + help.out());
        }
    }

    @Test
    void versionIsTheProjectVersionFromTheFilteredResource() {
        for (String[] args : new String[][] {{"--version"}, {"soak", "--version"}}) {
            Outcome outcome = run(args);
            assertEquals(0, outcome.code());
            assertTrue(outcome.out().matches("(?s)segpool \\d+\\.\\d+\\.\\d+\\S*\nJava .*"), outcome.out());
        }
    }

    /** Any 64-bit seed is valid, 0 and negatives included (each worker takes seed + its index). */
    @Test
    void soakTakesAnySeedAndAnIntegerOperationCount() {
        for (String seed : new String[] {"0", "-7", String.valueOf(Long.MAX_VALUE)}) {
            assertEquals(0, run("soak", "--operations", "20000", "--threads", "2", "--seed", seed).code(), seed);
        }
    }

    @Test
    void theExampleRunsThroughTheJavaEntryPoint() throws Exception {
        assertEquals(0, run("example").code());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Example.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("== after allocating 500 blocks"), text);
        assertTrue(text.contains("== after another thread freed them all"), text);
        assertTrue(text.contains("== after trim() gave "), text);
    }
}
