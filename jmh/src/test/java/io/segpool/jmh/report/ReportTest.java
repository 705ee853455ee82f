package io.segpool.jmh.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReportTest {

    /** Three results copied from docs/jmh/results-t1.json: a sized benchmark, a two-thread group, one without params. */
    @Test
    void readsARealJmhSample() throws Exception {
        List<Report.Row> rows = Report.read(resource("results-sample.json"));
        assertEquals(3, rows.size());

        Report.Row held = rows.get(0);
        assertEquals("AllocatorBenchmark.segpoolHeldAddress", held.benchmark());
        assertEquals("AllocatorBenchmark", held.className());
        assertEquals("segpoolHeldAddress", held.method());
        assertEquals("16", held.size());
        assertEquals(1, held.threads());
        assertEquals(8.281192340306326, held.score());
        assertEquals(0.6648621698377434, held.error());
        assertEquals("ns/op", held.unit());
        assertEquals(0.0005312364874012033, held.bytesPerOp());

        Report.Row bare = rows.get(1);
        assertEquals("CrossThreadBenchmark.bare", bare.benchmark());
        assertEquals(2, bare.threads(), "a group of one producer and one consumer");
        assertEquals(61.32285816909344, bare.score());
        assertEquals(0.0018050673708900832, bare.bytesPerOp(), "gc.alloc.rate.norm, not the group's own metrics");

        Report.Row defer = rows.get(2);
        assertNull(defer.size(), "no @Param");
        assertEquals(25.568394514927068, defer.score());

        String markdown = Report.markdown(rows, Machine.unrecorded());
        assertTrue(markdown.contains("| segpoolHeldAddress | 16 | 1 | 8.3 | 0.7 | ns/op | 0.0 |\n"), markdown);
        assertTrue(markdown.contains("| defer |  | 1 | 25.6 | 130.2 | ns/op | 0.0 |\n"), markdown);
    }

    /** Three forks whose means are 10, 40 (a fork that settled slower) and 12: the row is 12, not JMH's 20.67. */
    @Test
    void aRowOfSeveralForksIsTheMedianOfTheirMeans(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("forks.json");
        Files.writeString(file, """
                [ { "benchmark" : "io.segpool.jmh.AllocatorBenchmark.globalHeldCache", "mode" : "avgt", "threads" : 1,
                    "forks" : 3, "params" : { "size" : "64" },
                    "primaryMetric" : { "score" : 20.666, "scoreError" : 9.5, "scoreUnit" : "ns/op",
                        "rawData" : [ [ 9.0, 11.0 ], [ 39.0, 41.0 ], [ 12.0, 12.0 ] ] } } ]
                """);
        Report.Row row = Report.read(file).getFirst();
        assertEquals(12.0, row.score());
        assertEquals(9.5, row.error(), "JMH's error over every iteration stays");

        Files.writeString(file, """
                [ { "benchmark" : "io.segpool.jmh.DeferBenchmark.defer", "mode" : "avgt", "threads" : 1,
                    "primaryMetric" : { "score" : 7.0, "scoreError" : 1.0, "scoreUnit" : "ns/op",
                        "rawData" : [ [ 6.0, 8.0 ], [ 10.0, 20.0 ] ] } } ]
                """);
        assertEquals(11.0, Report.read(file).getFirst().score(), "two forks: the mean of the two means");
    }

    @Test
    void anUnterminatedStringIsAClearIoErrorNamingFileAndLine(@TempDir Path dir) throws IOException {
        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "[\n  {\n    \"benchmark\" : \"io.segpool.jmh.AllocatorBenchmark.segpoolHeld");
        IOException e = assertThrows(IOException.class, () -> Report.read(broken));
        assertTrue(e.getMessage().startsWith(broken + ": not valid JSON at line 3"), e.getMessage());
        assertTrue(e.getMessage().contains("end-of-input"), e.getMessage());
    }

    @Test
    void jsonThatIsNotAResultArrayIsRefused(@TempDir Path dir) throws IOException {
        Path object = Files.writeString(dir.resolve("object.json"), "{\"benchmark\" : \"x\"}");
        assertTrue(assertThrows(IOException.class, () -> Report.read(object)).getMessage()
                .contains("expected a JSON array of results"));
        Path noScore = Files.writeString(dir.resolve("no-score.json"),
                "[{\"benchmark\" : \"io.segpool.jmh.A.b\", \"threads\" : 1, \"primaryMetric\" : {\"scoreUnit\" : \"ns/op\"}}]");
        assertTrue(assertThrows(IOException.class, () -> Report.read(noScore)).getMessage()
                .contains("has no \"score\""));
        Path trailing = Files.writeString(dir.resolve("trailing.json"), "[] ]");
        assertTrue(assertThrows(IOException.class, () -> Report.read(trailing)).getMessage()
                .contains("not valid JSON at line 1"));
    }

    /**
     * jmh/run-standard.sh writes docs/performance.md from docs/jmh/results-t1.json and -t2.json in
     * one go: the report made from the committed JSON must be the committed page, byte for byte.
     */
    @Test
    void theCommittedPerformancePageIsWhatTheReportMakesOfTheCommittedResults(@TempDir Path out) throws Exception {
        Path docs = Path.of("..", "docs");
        // The run that wrote the page recorded its machine beside the results (jmh/run-standard.sh).
        Report.main(new String[] {out.toString(), "--machine", docs.resolve("jmh/machine.properties").toString(),
                docs.resolve("jmh/results-t1.json").toString(), docs.resolve("jmh/results-t2.json").toString()});
        assertEquals(Files.readString(docs.resolve("performance.md")), Files.readString(out.resolve("performance.md")));
        for (String chart : List.of("performance-t1.svg", "performance-t2.svg")) {
            assertEquals(Files.readString(docs.resolve(chart)), Files.readString(out.resolve(chart)), chart);
        }
    }

    private static Path resource(String name) throws URISyntaxException {
        return Path.of(ReportTest.class.getResource(name).toURI());
    }
}
