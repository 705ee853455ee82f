package io.segpool.jmh.report;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Turns JMH JSON result files (read with Jackson) into {@code performance.md} (one table per benchmark class, every
 * row with its thread count, size, score, error and heap bytes per operation) and one SVG chart
 * per thread count (ns/op per allocator and size, log scale) for the README.
 *
 * <pre>java -cp jmh/target/benchmarks.jar io.segpool.jmh.report.Report docs results-t1.json results-t2.json</pre>
 */
public final class Report {

    /** One JMH result row. */
    record Row(String benchmark, String method, String size, int threads, double score, double error, String unit,
               double bytesPerOp) {
        String className() {
            return benchmark.substring(0, benchmark.lastIndexOf('.'));
        }
    }

    private Report() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: Report OUTPUT_DIR RESULT.json...");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        List<Row> rows = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            try {
                rows.addAll(read(Path.of(args[i])));
            } catch (IOException e) {
                System.err.println("Report: " + e.getMessage());
                System.exit(1);
            }
        }
        Files.createDirectories(out);
        Files.writeString(out.resolve("performance.md"), markdown(rows));
        for (int threads : new TreeSet<>(rows.stream().map(Row::threads).toList())) {
            List<Row> chartRows = rows.stream().filter(r -> r.threads() == threads && r.size() != null
                    && (r.className().endsWith("AllocatorBenchmark") || r.className().endsWith("PeersBenchmark"))).toList();
            if (!chartRows.isEmpty()) {
                Files.writeString(out.resolve("performance-t" + threads + ".svg"),
                        Chart.svg(chartRows, "allocate + write/read + free, " + threads + " thread(s): ns/op, log scale"));
            }
        }
        System.out.println("wrote " + out.resolve("performance.md") + " and charts from " + rows.size() + " results");
    }

    /** JMH writes one JSON array per file; anything after it is an error, as anything malformed is. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /**
     * The results of one JMH JSON file ({@code -rf json}).
     *
     * @throws IOException when the file cannot be read, is not JSON (the message names the file, the
     *                     line and column, and what the parser expected), or lacks a field a result needs
     */
    static List<Row> read(Path file) throws IOException {
        JsonNode results;
        try (InputStream in = Files.newInputStream(file)) {
            results = JSON.readTree(in);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new IOException(file + ": not valid JSON"
                    + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr())
                    + ": " + e.getOriginalMessage(), e);
        }
        if (results == null || !results.isArray()) {
            throw new IOException(file + ": not a JMH result file: expected a JSON array of results");
        }
        List<Row> rows = new ArrayList<>();
        for (JsonNode result : results) {
            String benchmark = shorten(field(file, result, "benchmark").asText());
            JsonNode size = result.path("params").path("size");
            JsonNode threads = field(file, result, "threads");
            JsonNode primary = field(file, result, "primaryMetric");
            double bytes = Double.NaN;
            for (Map.Entry<String, JsonNode> entry : result.path("secondaryMetrics").properties()) {
                if (entry.getKey().endsWith("gc.alloc.rate.norm")) {
                    bytes = number(entry.getValue().path("score"));
                }
            }
            String method = benchmark.substring(benchmark.lastIndexOf('.') + 1);
            rows.add(new Row(benchmark, method, size.isMissingNode() ? null : size.asText(), threads.asInt(),
                    number(field(file, primary, "score")), number(primary.path("scoreError")),
                    field(file, primary, "scoreUnit").asText(), bytes));
        }
        return rows;
    }

    private static JsonNode field(Path file, JsonNode object, String name) throws IOException {
        JsonNode value = object.get(name);
        if (value == null || value.isNull()) {
            throw new IOException(file + ": a result has no \"" + name + "\": not a JMH result file");
        }
        return value;
    }

    /** JMH writes NaN (an error it could not compute) as the string "NaN": that and any non-number read as NaN. */
    private static double number(JsonNode value) {
        return value.isNumber() ? value.doubleValue() : Double.NaN;
    }

    private static String shorten(String benchmark) {
        return benchmark.startsWith("io.segpool.jmh.") ? benchmark.substring("io.segpool.jmh.".length()) : benchmark;
    }

    static String markdown(List<Row> rows) {
        Map<String, List<Row>> byClass = new TreeMap<>();
        for (Row row : rows) {
            byClass.computeIfAbsent(row.className(), k -> new ArrayList<>()).add(row);
        }
        StringBuilder md = new StringBuilder("# segpool benchmark results\n\n"
                + "Generated by `io.segpool.jmh.report.Report` from JMH JSON; see the README for the machine and command.\n");
        byClass.forEach((className, classRows) -> {
            md.append("\n## ").append(className).append("\n\n| benchmark | size | threads | score | ± | unit | heap B/op |\n")
                    .append("| --- | ---: | ---: | ---: | ---: | --- | ---: |\n");
            for (Row row : classRows) {
                md.append(String.format(Locale.ROOT, "| %s | %s | %d | %.1f | %.1f | %s | %s |%n", row.method(),
                        row.size() == null ? "" : row.size(), row.threads(), row.score(),
                        Double.isNaN(row.error()) ? 0.0 : row.error(), row.unit(),
                        Double.isNaN(row.bytesPerOp()) ? "" : String.format(Locale.ROOT, "%.1f", row.bytesPerOp())));
            }
        });
        return md.toString();
    }
}
