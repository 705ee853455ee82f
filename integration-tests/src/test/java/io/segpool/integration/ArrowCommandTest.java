package io.segpool.integration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./segpool arrow} with small sizes: each manager's child JVM runs, and the table has a row
 * per manager whose peak was resident and whose churn built batches.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ArrowCommandTest {

    private static final Pattern ROW = Pattern.compile(
            "(?m)^(segpool|unsafe)\\s+(\\d+) M\\s+(\\d+) M\\s+(\\d+) M\\s+(\\d+) M\\s+([+-]\\d+) M\\s+([+-]\\d+) M\\s+(\\d+)\\s+(\\d+\\.\\d)$");

    @Test
    void printsARowPerManagerWithTheRssReadingsAndTheChurn() {
        StringWriter text = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(text, true));
        int status = cli.execute("arrow", "--peak-mib", "64", "--rows", "4096", "--churn-rows", "1024",
                "--churn-seconds", "0.3", "--warmup", "0.1");
        String output = text.toString();
        assertEquals(0, status, output);
        Matcher row = ROW.matcher(output);
        int rows = 0;
        for (String expected : new String[] {"segpool", "unsafe"}) {
            assertTrue(row.find(), "no row for " + expected + " in:\n" + output);
            assertEquals(expected, row.group(1), output);
            long start = Long.parseLong(row.group(2));
            long peak = Long.parseLong(row.group(3));
            assertTrue(peak - start >= 57, expected + "'s 64 MiB peak was not resident:\n" + output);
            assertTrue(Long.parseLong(row.group(8)) > 0, expected + " churned no batch:\n" + output);
            rows++;
        }
        assertEquals(2, rows);
        assertTrue(output.contains("segpool after close and trim: "), output);
    }

    @Test
    void refusesBadValues() {
        CommandLine cli = Main.commandLine();
        cli.setErr(new PrintWriter(new StringWriter(), true));
        assertEquals(2, cli.execute("arrow", "--peak-mib", "8"));
        assertEquals(2, cli.execute("arrow", "--managers", "netty"));
    }
}
