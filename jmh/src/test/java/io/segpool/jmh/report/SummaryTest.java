package io.segpool.jmh.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The report of one standard run: the README's table (rows beside malloc critical, heap bytes,
 * tails) and performance.md, both labelled with the CPU of the run's side file, and the README
 * rewritten between its markers only. The fixture {@code standard-sample.json} holds real JMH
 * results (raw samples dropped) of this project's runs on the AMD EPYC VM: four allocator rows
 * at 64 B, {@code BatchBenchmark.batch16}, {@code stackGrowthDeep}, {@code deferLock}, and
 * {@code TailBenchmark.exchange40} in SampleTime mode.
 */
class SummaryTest {

    @Test
    void theReadmeTableCarriesTheCpuEveryRowAndItsRatioToMalloc() throws Exception {
        List<Report.Row> rows = Report.read(resource("standard-sample.json"));
        Machine machine = Machine.read(resource("machine.properties"));
        assertEquals("AMD EPYC", machine.cpu());
        assertEquals("AMD EPYC, cores 2, jdk 25.0.1+8-LTS, date 2026-12-03, load 0.09 before the run", machine.label());

        String table = Summary.table(rows, machine);
        assertTrue(table.startsWith("Measured by `jmh/run-standard.sh` on **AMD EPYC, cores 2,"), table);
        assertContains(table, "| path | ns (AMD EPYC) | ± | vs malloc critical | heap B/op |\n");
        // malloc critical is 12.23 ns here: 12.23 / 18.39 and 12.23 / 8.98
        assertContains(table, "| held `ThreadCache`, checks on | 18.4 | 2.2 | 0.67× (slower) | 0.0 |\n");
        assertContains(table, "| `global()`, held, `checkFrees=false` | 9.0 | 1.8 | 1.36× faster | 0.0 |\n");
        assertContains(table, "| `malloc`/`free`, critical downcall | 12.2 | 2.3 |  | 0.0 |\n");
        assertContains(table, "| 16 pairs in one `allocateBatch`/`freeBatch` (per 16) | 122 | 18.2 |  | 0.0 |\n");
        assertContains(table, "| `stackGrowthDeep`, 1024 frames (per frame) | 23.2 | 2.5 |  | 0.0 |\n");
        assertContains(table, "| `deferLock`: lock, defer the unlock, run | 27.3 | 4.6 |  | 0.0 |\n");
        assertFalse(table.contains("singles16") || table.contains("16 single pairs"), "a row the run lacks is left out");
        assertContains(table, "Tails (`TailBenchmark`, JMH SampleTime, single calls, AMD EPYC):");
        assertContains(table, "| benchmark | p50 | p99 | p99.9 | p99.99 | max |\n");
        assertContains(table, "| exchange40 | 30 ns | 70 ns | 371 ns | 33.8 us | 226.8 us |\n");
        int rowsBeforeTails = table.substring(0, table.indexOf("Tails")).split("\n").length;
        assertEquals(2 + 2 + 7, rowsBeforeTails, "caption, blank line, header, rule, one line per result");
    }

    @Test
    void performanceMdLabelsEveryTableWithTheCpuAndListsPercentiles() throws Exception {
        List<Report.Row> rows = Report.read(resource("standard-sample.json"));
        String md = Report.markdown(rows, Machine.read(resource("machine.properties")));
        assertContains(md, "Machine: AMD EPYC, cores 2, jdk 25.0.1+8-LTS, date 2026-12-03, load 0.09 before the run.\n");
        for (String table : List.of("AllocatorBenchmark", "BatchBenchmark", "DeferBenchmark", "StackGrowthBenchmark",
                "TailBenchmark")) {
            assertContains(md, "\n## " + table + " (AMD EPYC)\n");
        }
        assertContains(md, "| globalHeldCache | 64 | 1 | 16.5 | 1.2 | ns/op | 0.0 |\n");
        assertContains(md, "Percentiles of single calls (SampleTime, AMD EPYC):");
        assertContains(md, "| exchange40 | 30 ns | 70 ns | 371 ns | 33.8 us | 226.8 us |\n");
        assertContains(Report.markdown(rows, Machine.unrecorded()), "\n## TailBenchmark (CPU not recorded)\n");
        assertEquals("9.6 ms", Report.duration(9_551_872, "ns/op"), "the max of a run with a page fault in it");
        assertEquals("999.9 us", Report.duration(999_900, "ns/op"));
        assertEquals("9999 ns", Report.duration(9_999, "ns/op"));
    }

    @Test
    void theReadmeIsRewrittenBetweenItsMarkersOnlyAndAgainInPlace(@TempDir Path dir) throws Exception {
        Path readme = dir.resolve("README.md");
        String before = "# title\n\nprose before\n\n" + Readme.START + "\nold table\n" + Readme.END + "\n\nprose after\n";
        Files.writeString(readme, before);
        Report.main(new String[] {dir.resolve("docs").toString(), "--machine", resource("machine.properties").toString(),
                "--readme", readme.toString(), resource("standard-sample.json").toString()});
        String after = Files.readString(readme);
        assertTrue(after.startsWith("# title\n\nprose before\n\n" + Readme.START + "\nMeasured by"), after);
        assertTrue(after.endsWith("|\n" + Readme.END + "\n\nprose after\n"), after);
        assertFalse(after.contains("old table"));
        assertContains(Files.readString(dir.resolve("docs/performance.md")), "## StackGrowthBenchmark (AMD EPYC)");

        Report.main(new String[] {dir.resolve("docs").toString(), "--machine", resource("machine.properties").toString(),
                "--readme", readme.toString(), resource("standard-sample.json").toString()});
        assertEquals(after, Files.readString(readme), "a second run over the same results changes nothing");
    }

    @Test
    void aReadmeWithoutItsMarkersOrAMachineFileWithoutACpuIsRefused(@TempDir Path dir) throws IOException {
        for (String readme : List.of("no markers\n", Readme.END + "\n" + Readme.START + "\n",
                Readme.START + "\n" + Readme.END + "\n" + Readme.START + "\n" + Readme.END + "\n")) {
            IOException e = assertThrows(IOException.class, () -> Readme.replaceTable(readme, "table\n"));
            assertTrue(e.getMessage().contains("once each"), e.getMessage());
        }
        Path noCpu = Files.writeString(dir.resolve("machine.properties"), "cores=2\n");
        assertTrue(assertThrows(IOException.class, () -> Machine.read(noCpu)).getMessage().contains("no cpu="));
        Path noEquals = Files.writeString(dir.resolve("bad.properties"), "cpu AMD\n");
        assertTrue(assertThrows(IOException.class, () -> Machine.read(noEquals)).getMessage().contains(":1: expected"));
    }

    private static void assertContains(String text, String part) {
        assertTrue(text.contains(part), () -> "missing <" + part + "> in:\n" + text);
    }

    private static Path resource(String name) throws URISyntaxException {
        return Path.of(SummaryTest.class.getResource(name).toURI());
    }
}
