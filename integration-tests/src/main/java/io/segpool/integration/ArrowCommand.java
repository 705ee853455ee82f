package io.segpool.integration;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./segpool arrow}: arrow-java #950's case (a peak of Arrow vectors, everything closed, VmRSS
 * read) and a batch churn, with segpool's Arrow manager and Arrow's Unsafe manager, side by side.
 * Each manager runs in a JVM of its own ({@link ArrowRun}): the Unsafe manager's freed memory stays
 * in glibc's heap (hundreds of MiB after a 1 GiB peak), which would sit in the next manager's RSS
 * readings, and one JVM's JIT and GC growth would be charged to the other. Both children get the
 * same fixed, pre-touched heap, so their RSS moves with native memory and the JVM's own growth.
 */
@Command(name = "arrow", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, sortOptions = false,
        description = {"Runs arrow-java #950's case (hold batches of an int and a string column up to a peak of"
                + " Arrow memory, close them and the root, read VmRSS) and a build-and-close batch churn, with"
                + " segpool's Arrow manager and Arrow's Unsafe manager, each in a JVM of its own, and prints"
                + " them side by side. Arrow's Netty manager is not run: it fails on Java 25 with Netty 4.2."})
final class ArrowCommand implements Callable<Integer> {

    /** Where the #950 case must end: within this much of the start. */
    static final long TARGET = 32L << 20;

    @Spec
    CommandSpec spec;

    @Option(names = "--peak-mib", paramLabel = "N", defaultValue = "1024",
            description = "Arrow memory held at the peak: 16 to 65536 MiB (default ${DEFAULT-VALUE})")
    int peakMib;

    @Option(names = "--rows", paramLabel = "N", defaultValue = "16384",
            description = "rows per held batch: 1 to 1048576 (default ${DEFAULT-VALUE}: about 400 KiB a batch)")
    int rows;

    @Option(names = "--churn-rows", paramLabel = "N", defaultValue = "65536",
            description = "rows per churned batch: 1 to 1048576 (default ${DEFAULT-VALUE})")
    int churnRows;

    @Option(names = "--churn-seconds", paramLabel = "N", defaultValue = "3",
            description = "measured churn per manager: above 0 and at most 600 seconds (default ${DEFAULT-VALUE})")
    double churnSeconds;

    @Option(names = "--warmup", paramLabel = "SECONDS", defaultValue = "1",
            description = "unmeasured churn first: 0 to 600 seconds (default ${DEFAULT-VALUE})")
    double warmup;

    @Option(names = "--managers", paramLabel = "LIST", split = ",", defaultValue = "segpool,unsafe",
            description = "which, in order: segpool, unsafe (default ${DEFAULT-VALUE})")
    List<String> managers;

    @Override
    public Integer call() throws Exception {
        require(peakMib >= 16 && peakMib <= 65_536, "--peak-mib", peakMib, "from 16 to 65536");
        require(rows >= 1 && rows <= 1 << 20, "--rows", rows, "from 1 to 1048576");
        require(churnRows >= 1 && churnRows <= 1 << 20, "--churn-rows", churnRows, "from 1 to 1048576");
        require(churnSeconds > 0 && churnSeconds <= 600, "--churn-seconds", churnSeconds, "above 0 and at most 600");
        require(warmup >= 0 && warmup <= 600, "--warmup", warmup, "from 0 to 600");
        for (String name : managers) {
            require(List.of("segpool", "unsafe").contains(name), "--managers", name, "segpool or unsafe");
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "arrow: #950 peak %d MiB in batches of %d rows; churn of %d-row batches for %s s"
                + " (after %s s unmeasured); each manager in its own JVM%n", peakMib, rows, churnRows, churnSeconds, warmup);
        out.flush();
        Map<String, Map<String, Long>> results = new LinkedHashMap<>();
        int status = 0;
        for (String name : managers) {
            Map<String, Long> figures = fork(name, out);
            if (figures == null) {
                status = 1;
                continue;
            }
            results.put(name, figures);
            if (name.equals("segpool") && (figures.get("inuse") != 0 || figures.get("live") != 0 || figures.get("conserved") != 1)) {
                out.println("arrow: FAILED: segpool blocks still in use or Sys not conserved after the run: " + figures);
                status = 1;
            }
            if (figures.get("peak") - figures.get("start") < (peakMib * (long) (1 << 20)) * 9 / 10) {
                out.println("arrow: FAILED: " + name + "'s peak was not resident: " + figures);
                status = 1;
            }
        }
        print(out, results);
        return status;
    }

    private void print(PrintWriter out, Map<String, Map<String, Long>> results) {
        out.println();
        out.println("manager   RSS start   peak  after close  after trim  close-start  trim-start  churn batches/s  churn Mrows/s");
        for (Map.Entry<String, Map<String, Long>> e : results.entrySet()) {
            Map<String, Long> f = e.getValue();
            double perSecond = f.get("batches") * 1e9 / f.get("nanos");
            out.printf(Locale.ROOT, "%-9s %7d M %5d M %10d M %9d M %+10d M %+9d M %16.0f %14.1f%n", e.getKey(),
                    mib(f.get("start")), mib(f.get("peak")), mib(f.get("afterClose")), mib(f.get("afterTrim")),
                    mib(f.get("afterClose") - f.get("start")), mib(f.get("afterTrim") - f.get("start")), perSecond,
                    perSecond * churnRows / 1e6);
        }
        out.println("(RSS is the whole JVM's from /proc/self/status, heap fixed and pre-touched; start is after a"
                + " warm-up round and a trim; segpool's root close trims, and its trim() is then called again; Arrow's"
                + " Unsafe manager has no trim: glibc's malloc_trim(0) stands in, before the start as after the close)");
        Map<String, Long> segpool = results.get("segpool");
        if (segpool != null) {
            long over = segpool.get("afterTrim") - segpool.get("start");
            out.printf(Locale.ROOT, "segpool after close and trim: %+.1f MiB over the start (target within %d MiB: %s);"
                    + " of it segpool's own, given back by unmapping: %.1f MiB; then glibc's malloc_trim(0) gave back"
                    + " %.1f MiB of the JVM's own%n", over / 1048576.0, TARGET >> 20, over <= TARGET ? "met" : "not met",
                    (segpool.get("afterTrim") - segpool.get("afterUnmap")) / 1048576.0,
                    (segpool.get("afterUnmap") - segpool.get("afterMallocTrim")) / 1048576.0);
        }
        out.flush();
    }

    /** Runs one manager's child JVM and parses its figures; null, with its output shown, if it failed. */
    private Map<String, Long> fork(String manager, PrintWriter out) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-Xms128m", "-Xmx128m", "-XX:+AlwaysPreTouch", "-XX:-UseAdaptiveSizePolicy",
                "-cp", System.getProperty("java.class.path"), ArrowRun.class.getName(), manager,
                String.valueOf(peakMib * (long) (1 << 20)), String.valueOf(rows), String.valueOf(churnRows),
                String.valueOf(warmup), String.valueOf(churnSeconds)));
        Path log = Files.createTempFile("segpool-arrow-" + manager, ".txt");
        String output;
        int exit;
        try {
            Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            long limit = (long) (60 + 2 * (warmup + churnSeconds) + peakMib / 8);
            if (!child.waitFor(limit, TimeUnit.SECONDS)) {
                child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            exit = child.isAlive() ? -1 : child.exitValue();
            output = Files.readString(log);
        } finally {
            Files.deleteIfExists(log);
        }
        Map<String, Long> figures = new LinkedHashMap<>();
        for (String line : output.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0 && line.substring(eq + 1).matches("-?\\d+")) {
                figures.put(line.substring(0, eq), Long.parseLong(line.substring(eq + 1)));
            }
        }
        if (exit != 0 || !figures.containsKey("nanos")) {
            out.println("arrow: FAILED: the " + manager + " run exited " + exit + (exit == 137 ? " (killed: too slow)" : "") + ":");
            out.println(output);
            return null;
        }
        return figures;
    }

    private static long mib(long bytes) {
        return Math.round(bytes / 1048576.0);
    }

    private void require(boolean ok, String option, Object value, String range) {
        if (!ok) {
            throw new ParameterException(spec.commandLine(), option + " " + value + ": must be " + range);
        }
    }
}
