package io.segpool.integration;

import io.segpool.counters.CountersFile;
import io.segpool.counters.CountersFileException;
import io.segpool.counters.CountersReader;
import io.segpool.counters.CountersSnapshot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code ./segpool stat}: reads a running process's counters file (read-only: it never writes a
 * byte of it) and prints its MemStats once, or again every period with {@code --watch}, with rates
 * per second and the Sys/Inuse trend. Exit codes: 0 the figures are live, 1 the file is stale or
 * its publisher closed, 2 bad usage or a file that is missing, truncated, foreign or of another
 * layout version (one line on standard error, never a stack trace).
 */
@Command(name = "stat", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, sortOptions = false,
        description = {"Prints the MemStats a segpool process publishes in its counters file (CountersFile.publish;"
                + " ./segpool demo publishes one), read live from another process without touching it.",
            "With no FILE and no --pid it reads the one counters file under java.io.tmpdir, if there is one."},
        footer = {"", "Exit codes: 0 live, 1 stale or closed, 2 bad usage or an unreadable file."})
final class Stat implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "FILE", description = "the counters file (the path the process printed)")
    Path file;

    @Option(names = "--pid", paramLabel = "PID", description = "read the counters file of this process under java.io.tmpdir")
    Long pid;

    @Option(names = "--watch", description = "refresh like top: the table, rates per second and the Sys/Inuse trend")
    boolean watch;

    @Option(names = "--interval", paramLabel = "SECONDS",
            description = "with --watch, seconds between refreshes: 0.05 to 3600 (default: the file's period)")
    Double interval;

    @Option(names = "--count", paramLabel = "N", description = "with --watch, stop after N refreshes (default: until interrupted)")
    Integer count;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (interval != null && !(interval >= 0.05 && interval <= 3600)) {
            return usage(err, "--interval " + interval + ": must be from 0.05 to 3600");
        }
        if (count != null && count < 1) {
            return usage(err, "--count " + count + ": must be at least 1");
        }
        if (file != null && pid != null) {
            return usage(err, "give FILE or --pid, not both");
        }
        try {
            Path path = file != null ? file : find(pid);
            try (CountersReader reader = CountersReader.open(path)) {
                return watch ? watch(reader, out) : once(reader, out);
            }
        } catch (CountersFileException e) {
            err.println("segpool stat: " + e.getMessage());
            err.flush();
            return 2;
        }
    }

    private int once(CountersReader reader, PrintWriter out) throws CountersFileException {
        CountersSnapshot now = reader.read();
        String stale = now.staleness(Instant.now());
        StatFormat.header(out, reader.path(), now, stale);
        StatFormat.table(out, now);
        out.flush();
        return stale == null ? 0 : 1;
    }

    private int watch(CountersReader reader, PrintWriter out) throws CountersFileException, InterruptedException {
        boolean terminal = System.console() != null;
        StatFormat.Trend trend = new StatFormat.Trend(40);
        CountersSnapshot previous = null;
        String stale = null;
        for (int frame = 0; count == null || frame < count; frame++) {
            if (frame > 0) {
                long millis = interval != null ? Math.round(interval * 1000) : previous.period().toMillis();
                Thread.sleep(Math.max(50, millis));
            }
            CountersSnapshot now = reader.read();
            stale = now.staleness(Instant.now());
            if (terminal) {
                out.print("\033[H\033[2J");
            } else if (frame > 0) {
                out.println();
            }
            StatFormat.header(out, reader.path(), now, stale);
            StatFormat.table(out, now);
            trend.add(now);
            StatFormat.rates(out, previous, now);
            trend.print(out);
            out.flush();
            previous = now;
        }
        return stale == null ? 0 : 1;
    }

    /** The one counters file of {@code pid} (or of any process, when null) under java.io.tmpdir. */
    private static Path find(Long pid) throws CountersFileException {
        Path dir = CountersFile.defaultPath(0, "x").getParent();
        String glob = "segpool-" + (pid == null ? "*" : pid.toString()) + "-*.counters";
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, glob)) {
            files.forEach(found::add);
        } catch (IOException e) {
            throw new CountersFileException(dir + ": cannot list it: " + e.getMessage(), e);
        }
        if (found.size() == 1) {
            return found.getFirst();
        }
        String who = pid == null ? "" : " of process " + pid;
        if (found.isEmpty()) {
            throw new CountersFileException("no counters file" + who + " in " + dir
                    + " (is the process running, and publishing there?); give its FILE");
        }
        found.sort(null);
        throw new CountersFileException(found.size() + " counters files" + who + " in " + dir + ": give one as FILE: "
                + String.join(", ", found.stream().map(Path::toString).toList()));
    }

    private int usage(PrintWriter err, String message) {
        err.println("segpool stat: " + message + " (try 'segpool stat --help')");
        err.flush();
        return 2;
    }
}
