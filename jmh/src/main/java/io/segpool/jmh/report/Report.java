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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Turns JMH JSON result files (read with Jackson) into {@code performance.md} (one table per benchmark class, every
 * row with its thread count, size, score, error and heap bytes per operation, and the percentiles
 * of every SampleTime row), one SVG chart per thread count (ns/op per allocator and size, log
 * scale), and, given {@code --readme}, the README's performance table between its markers
 * ({@link Readme}). Every table is labelled with the CPU the run recorded in its side file
 * ({@code --machine}, see {@link Machine}), or says that it recorded none.
 *
 * <pre>java -cp jmh/target/benchmarks.jar io.segpool.jmh.report.Report docs [--machine docs/jmh/machine.properties]
 *     [--readme README.md] results-t1.json results-t2.json</pre>
 */
public final class Report {

    /** The percentiles a SampleTime row reports, JMH's keys and the names the tables give them. */
    static final List<String> PERCENTILES = List.of("50.0", "99.0", "99.9", "99.99", "100.0");
    private static final List<String> PERCENTILE_NAMES = List.of("p50", "p99", "p99.9", "p99.99", "max");

    /** One JMH result row; {@code percentiles} (JMH's keys, as "99.9") is empty but for SampleTime rows. */
    record Row(String benchmark, String method, String size, int threads, double score, double error, String unit,
               double bytesPerOp, Map<String, Double> percentiles) {
        String className() {
            return benchmark.substring(0, benchmark.lastIndexOf('.'));
        }
    }

    private Report() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: Report OUTPUT_DIR [--machine FILE] [--readme README.md] RESULT.json...");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        List<Row> rows = new ArrayList<>();
        Machine machine = Machine.unrecorded();
        Path readme = null;
        try {
            for (int i = 1; i < args.length; i++) {
                if (args[i].equals("--machine") && i + 1 < args.length) {
                    machine = Machine.read(Path.of(args[++i]));
                } else if (args[i].equals("--readme") && i + 1 < args.length) {
                    readme = Path.of(args[++i]);
                } else {
                    rows.addAll(read(Path.of(args[i])));
                }
            }
            if (readme != null) {
                Readme.rewrite(readme, Summary.table(rows, machine));
            }
        } catch (IOException e) {
            System.err.println("Report: " + e.getMessage());
            System.exit(1);
        }
        Files.createDirectories(out);
        Files.writeString(out.resolve("performance.md"), markdown(rows, machine));
        for (int threads : new TreeSet<>(rows.stream().map(Row::threads).toList())) {
            List<Row> chartRows = rows.stream().filter(r -> r.threads() == threads && r.size() != null
                    && (r.className().endsWith("AllocatorBenchmark") || r.className().endsWith("PeersBenchmark"))).toList();
            if (!chartRows.isEmpty()) {
                Files.writeString(out.resolve("performance-t" + threads + ".svg"),
                        Chart.svg(chartRows, "allocate + write/read + free, " + threads + " thread(s): ns/op, log scale"
                                + (machine.cpu().equals(Machine.UNRECORDED) ? "" : ", " + machine.cpu())));
            }
        }
        System.out.println("wrote " + out.resolve("performance.md") + (readme == null ? "" : ", " + readme)
                + " and charts from " + rows.size() + " results, labelled " + machine.cpu());
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
            Map<String, Double> percentiles = new LinkedHashMap<>();
            if ("sample".equals(result.path("mode").asText())) {
                for (String key : PERCENTILES) {
                    percentiles.put(key, number(primary.path("scorePercentiles").path(key)));
                }
            }
            rows.add(new Row(benchmark, method, size.isMissingNode() ? null : size.asText(), threads.asInt(),
                    score(file, primary), number(primary.path("scoreError")),
                    field(file, primary, "scoreUnit").asText(), bytes, Map.copyOf(percentiles)));
        }
        return rows;
    }

    /**
     * The row's figure: with two forks or more, the median of the forks' means (one fork that settles slower
     * moves a mean, not a median); with one fork, or where JMH gives no per-iteration data (SampleTime), JMH's score.
     */
    static double score(Path file, JsonNode primary) throws IOException {
        JsonNode forks = primary.path("rawData");
        if (!forks.isArray() || forks.size() < 2) {
            return number(field(file, primary, "score"));
        }
        double[] means = new double[forks.size()];
        for (int f = 0; f < means.length; f++) {
            double sum = 0;
            for (JsonNode iteration : forks.get(f)) {
                sum += number(iteration);
            }
            means[f] = sum / forks.get(f).size();
        }
        Arrays.sort(means);
        int mid = means.length / 2;
        return means.length % 2 == 1 ? means[mid] : (means[mid - 1] + means[mid]) / 2;
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

    static String markdown(List<Row> rows, Machine machine) {
        Map<String, List<Row>> byClass = new TreeMap<>();
        for (Row row : rows) {
            byClass.computeIfAbsent(row.className(), k -> new ArrayList<>()).add(row);
        }
        StringBuilder md = new StringBuilder("# segpool benchmark results\n\n"
                + "Generated by `io.segpool.jmh.report.Report` from JMH JSON; see the README for the command.\n"
                + "A score is the median of the forks' means (JMH's mean with one fork); ± is JMH's error.\n"
                + "Machine: " + machine.label() + ".\n");
        byClass.forEach((className, classRows) -> {
            md.append("\n## ").append(className).append(" (").append(machine.cpu()).append(")\n\n")
                    .append("| benchmark | size | threads | score | ± | unit | heap B/op |\n")
                    .append("| --- | ---: | ---: | ---: | ---: | --- | ---: |\n");
            for (Row row : classRows) {
                md.append(String.format(Locale.ROOT, "| %s | %s | %d | %.1f | %.1f | %s | %s |%n", row.method(),
                        row.size() == null ? "" : row.size(), row.threads(), row.score(),
                        Double.isNaN(row.error()) ? 0.0 : row.error(), row.unit(), bytes(row.bytesPerOp())));
            }
            List<Row> sampled = classRows.stream().filter(r -> !r.percentiles().isEmpty()).toList();
            if (!sampled.isEmpty()) {
                md.append("\nPercentiles of single calls (SampleTime, ").append(machine.cpu()).append("):\n\n")
                        .append(percentileTable(sampled));
            }
        });
        return md.toString();
    }

    /** {@return a Markdown table of the rows' p50, p99, p99.9, p99.99 and max, each in the row's unit} */
    static String percentileTable(List<Row> rows) {
        StringBuilder md = new StringBuilder("| benchmark | ").append(String.join(" | ", PERCENTILE_NAMES))
                .append(" |\n| --- |").append(" ---: |".repeat(PERCENTILE_NAMES.size())).append('\n');
        for (Row row : rows) {
            md.append("| ").append(row.method()).append(" |");
            for (String key : PERCENTILES) {
                Double value = row.percentiles().get(key);
                md.append(' ').append(value == null || value.isNaN() ? "" : duration(value, row.unit())).append(" |");
            }
            md.append('\n');
        }
        return md.toString();
    }

    /** A time in {@code unit} ("ns/op" and the like) as ns, us or ms, whichever reads best; other units as they are. */
    static String duration(double value, String unit) {
        if (!unit.equals("ns/op")) {
            return String.format(Locale.ROOT, "%.1f %s", value, unit.replace("/op", ""));
        }
        if (value < 10_000) {
            return String.format(Locale.ROOT, "%.0f ns", value);
        }
        return value < 1_000_000 ? String.format(Locale.ROOT, "%.1f us", value / 1e3)
                : String.format(Locale.ROOT, "%.1f ms", value / 1e6);
    }

    /** {@return heap bytes per operation to one decimal, or empty when the run did not measure them} */
    static String bytes(double bytesPerOp) {
        return Double.isNaN(bytesPerOp) ? "" : String.format(Locale.ROOT, "%.1f", bytesPerOp);
    }
}
