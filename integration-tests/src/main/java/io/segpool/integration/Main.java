package io.segpool.integration;

import io.segpool.allocator.NativeAllocator;
import io.segpool.allocator.jmx.SegpoolJmx;
import io.segpool.counters.CountersFile;
import io.segpool.counters.CountersPublisher;
import io.segpool.integration.examples.Example;
import io.segpool.pools.DeferPool;
import io.segpool.pools.StackPool;
import io.segpool.stats.MemStats;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;

/**
 * The {@code ./segpool} commands (picocli): each runs one workload with a progress bar and a live
 * MemStats line, then prints the figures. Exit codes: 0 done, 1 a workload check failed, 2 bad usage
 * (one line on standard error: the option, the value and the range it must be in).
 */
@Command(name = "segpool", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        synopsisSubcommandLabel = "COMMAND",
        description = "Runs one of segpool's workloads with live MemStats, then prints the figures.",
        subcommands = {Main.Demo.class, Main.StackMem.class, Main.VThreads.class, Main.SoakCommand.class,
                Main.ExampleCommand.class, Stat.class, NettyCommand.class, DbCommand.class, ArrowCommand.class, HelpCommand.class},
        footer = {"", "Each command takes --help. Exit codes: 0 done, 1 a workload check failed, 2 bad usage."})
public final class Main implements Callable<Integer> {

    private static final PrintStream OUT = System.out;

    @Spec
    private CommandSpec spec;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line as {@code ./segpool} does and returns its exit code. */
    static int run(String... args) {
        return commandLine().execute(args);
    }

    /** The command line, with bad usage reported in one line; tests set its out and err writers. */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        cli.setParameterExceptionHandler(Main::badUsage);
        return cli;
    }

    /** No command: the usage, on standard error, and exit 2 (as before). */
    @Override
    public Integer call() {
        CommandLine cli = spec.commandLine();
        cli.getErr().println("segpool: no command given");
        cli.usage(cli.getErr());
        return cli.getCommandSpec().exitCodeOnInvalidInput();
    }

    private static int badUsage(ParameterException e, String[] args) {
        CommandLine cli = e.getCommandLine();
        CommandSpec command = cli.getCommandSpec();
        String message = e.getMessage().replaceFirst("^Error: ", "");
        if (e instanceof UnmatchedArgumentException unmatched && command.parent() == null
                && !unmatched.getUnmatched().isEmpty() && !unmatched.getUnmatched().getFirst().startsWith("-")) {
            message = "unknown command '" + unmatched.getUnmatched().getFirst() + "'; commands: "
                    + String.join(", ", command.subcommands().keySet());
        }
        cli.getErr().println(command.qualifiedName() + ": " + message.replaceAll("\\R", "; ")
                + " (try '" + command.qualifiedName() + " --help')");
        cli.getErr().flush();
        return command.exitCodeOnInvalidInput();
    }

    /** Refuses an out-of-range value as bad usage: exit 2 and a one-line message, no stack trace. */
    private static void require(CommandSpec spec, boolean ok, String option, Object value, String range) {
        if (!ok) {
            throw new ParameterException(spec.commandLine(), option + " " + value + ": must be " + range);
        }
    }

    // ---- commands ------------------------------------------------------------------------------

    @Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
            description = {"Runs the trading pipeline: producers allocate order blocks at a paced rate, encode them"
                    + " through a Chronicle view and publish their addresses on an LMAX Disruptor; a consumer decodes"
                    + " each in a stack frame, checks it and frees it through a deferred action. Prints latency from"
                    + " each order's intended send time (no coordinated omission), or with --rate max the flat-out"
                    + " throughput. Publishes its MemStats in a counters file for ./segpool stat."})
    static final class Demo implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--seconds", paramLabel = "N", defaultValue = "10",
                description = "how long to run: seconds, a decimal above 0 and at most 86400 (default ${DEFAULT-VALUE})")
        double seconds;

        @Option(names = "--ring", paramLabel = "N", defaultValue = "1024",
                description = "Disruptor ring slots: a power of two from 2 to 1048576 (default ${DEFAULT-VALUE})")
        int ring;

        @Option(names = "--rate", paramLabel = "N|max", defaultValue = "200000",
                description = "orders per second over all producers, 1 to 100000000, paced, latency from each order's"
                        + " intended send time; or max: flat out, a throughput run (default ${DEFAULT-VALUE})")
        String rate;

        @Option(names = "--producers", paramLabel = "N", defaultValue = "1",
                description = "producer threads (a multi-producer ring above 1): 1 to 64 (default ${DEFAULT-VALUE})")
        int producers;

        @Option(names = "--counters", paramLabel = "FILE",
                description = "where to publish the counters file for ./segpool stat (default: under java.io.tmpdir,"
                        + " with the pid in its name)")
        java.nio.file.Path counters;

        @Override
        public Integer call() throws Exception {
            require(spec, seconds > 0 && seconds <= 86_400, "--seconds", seconds(seconds), "above 0 and at most 86400");
            require(spec, ring >= 2 && ring <= 1 << 20 && Integer.bitCount(ring) == 1, "--ring", ring,
                    "a power of two from 2 to 1048576");
            long perSecond = rate.equals("max") ? 0 : parseRate(rate);
            require(spec, perSecond >= 0, "--rate", rate, "max or a whole number from 1 to 100000000");
            require(spec, producers >= 1 && producers <= 64, "--producers", producers, "from 1 to 64");
            TradingPipeline.Config config = new TradingPipeline.Config(0, seconds, 200_000, ring, perSecond, producers);
            return withAllocatorAndPools((allocator, stacks, defers, stats) -> demo(allocator, stacks, defers, stats,
                    config, counters));
        }

        private static long parseRate(String text) {
            try {
                long value = Long.parseLong(text.replace("_", "").replace(",", ""));
                return value >= 1 && value <= 100_000_000 ? value : -1;
            } catch (NumberFormatException e) {
                return -1;
            }
        }
    }

    @Command(name = "stackmem", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
            description = "Runs TestStackMem's shape: batches of new platform threads, each growing a segmented"
                    + " stack frame by frame; StackSys must stay bounded.")
    static final class StackMem implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--batches", paramLabel = "N", defaultValue = "512",
                description = "batches of threads, one after another: at least 1 (default ${DEFAULT-VALUE})")
        int batches;

        @Option(names = "--threads", paramLabel = "N", defaultValue = "32",
                description = "platform threads per batch: 1 to 10000 (default ${DEFAULT-VALUE})")
        int threads;

        @Option(names = "--frames", paramLabel = "N", defaultValue = "128",
                description = "nested frames each thread pushes: 1 to 4096 (default ${DEFAULT-VALUE})")
        int frames;

        @Option(names = "--frame-bytes", paramLabel = "N", defaultValue = "1024",
                description = "bytes allocated in each frame: 1 to 1048576 (default ${DEFAULT-VALUE})")
        int frameBytes;

        @Override
        public Integer call() throws Exception {
            require(spec, batches >= 1, "--batches", batches, "at least 1");
            require(spec, threads >= 1 && threads <= 10_000, "--threads", threads, "from 1 to 10000");
            require(spec, frames >= 1 && frames <= 4096, "--frames", frames, "from 1 to 4096");
            require(spec, frameBytes >= 1 && frameBytes <= 1 << 20, "--frame-bytes", frameBytes, "from 1 to 1048576");
            ThreadChurn.Config config = new ThreadChurn.Config(batches, threads, frames, frameBytes);
            return withAllocatorAndPools((allocator, stacks, defers, stats) -> stackmem(stacks, stats, config));
        }
    }

    @Command(name = "vthreads", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = "Runs many virtual threads, each with one 8-byte defer and one stack frame.")
    static final class VThreads implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--threads", paramLabel = "N", defaultValue = "1000000",
                description = "virtual threads: at least 1 (default ${DEFAULT-VALUE})")
        int threads;

        @Override
        public Integer call() throws Exception {
            require(spec, threads >= 1, "--threads", threads, "at least 1");
            return withAllocatorAndPools((allocator, stacks, defers, stats) -> vthreads(stacks, defers, stats, threads));
        }
    }

    @Command(name = "soak", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
            description = "Runs threads doing random allocate/free/frames/defers with ownership stamps checked on"
                    + " free, for a time or a number of operations.")
    static final class SoakCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        /** A soak runs for a time or for a count, not both. */
        static final class Length {
            @Option(names = "--seconds", paramLabel = "N", required = true,
                    description = "run this long: seconds, a decimal above 0 and at most 86400 (default 10)")
            double seconds;

            @Option(names = "--operations", paramLabel = "N", required = true,
                    description = "run exactly this many operations in all, split over the threads: at least 1")
            long operations;
        }

        @ArgGroup(exclusive = true, multiplicity = "0..1")
        Length length;

        @Option(names = "--threads", paramLabel = "N", defaultValue = "2",
                description = "worker threads: 1 to 256 (default ${DEFAULT-VALUE})")
        int threads;

        @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
                description = "random seed: any 64-bit integer, 0 and negatives included; worker t uses seed + t"
                        + " (default ${DEFAULT-VALUE})")
        long seed;

        @Override
        public Integer call() throws Exception {
            boolean byCount = spec.commandLine().getParseResult().hasMatchedOption("--operations");
            double seconds = length == null ? 10 : length.seconds;
            long operations = length == null ? 0 : length.operations;
            if (byCount) {
                require(spec, operations >= 1, "--operations", operations, "at least 1");
            } else {
                require(spec, seconds > 0 && seconds <= 86_400, "--seconds", seconds(seconds), "above 0 and at most 86400");
            }
            require(spec, threads >= 1 && threads <= 256, "--threads", threads, "from 1 to 256");
            Soak.Config config = new Soak.Config(threads, byCount ? 0 : seconds, operations, seed);
            return withAllocatorAndPools((allocator, stacks, defers, stats) -> soak(allocator, stacks, defers, stats,
                    config));
        }
    }

    @Command(name = "example", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = "A short tour of the allocator API: allocate on one thread, free on another, trim,"
                    + " with MemStats after each step.")
    static final class ExampleCommand implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            Example.run(OUT);
            return 0;
        }
    }

    /** The project version, from the resource Maven filters at build time. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties properties = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    properties.load(in);
                }
            }
            return new String[] {"segpool " + properties.getProperty("version", "(version unknown)"),
                    "Java " + Runtime.version() + ", " + System.getProperty("java.vm.name")};
        }
    }

    // ---- workloads -----------------------------------------------------------------------------

    private interface Workload {
        int run(NativeAllocator allocator, StackPool stacks, DeferPool defers, SegpoolJmx stats) throws Exception;
    }

    private static int withAllocatorAndPools(Workload workload) throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create(); StackPool stacks = StackPool.create();
             DeferPool defers = DeferPool.create()) {
            return workload.run(allocator, stacks, defers, new SegpoolJmx(allocator, stacks, defers));
        }
    }

    private static int demo(NativeAllocator allocator, StackPool stacks, DeferPool defers, SegpoolJmx stats,
                            TradingPipeline.Config config, java.nio.file.Path countersPath) throws Exception {
        OUT.printf(Locale.ROOT, "trading pipeline: %d producer%s -> Disruptor (%d slots) -> consumer, %s s, %s,"
                        + " orders of 64-256 B decoded in a stack frame, freed by a deferred action%n",
                config.producers(), config.producers() == 1 ? "" : "s", config.ringSize(), seconds(config.seconds()),
                config.rate() == 0 ? "flat out" : String.format(Locale.ROOT, "%,d orders/s paced", config.rate()));
        TradingPipeline.Result result;
        try (CountersPublisher counters = countersPath == null ? CountersFile.publish(stats)
                : CountersFile.publish(countersPath, stats, CountersFile.DEFAULT_PERIOD)) {
            OUT.println("counters file: " + counters.path() + "  (./segpool stat --watch " + counters.path() + ")");
            long start = System.nanoTime();
            try (Progress progress = new Progress(stats, () -> (System.nanoTime() - start) / (config.seconds() * 1e9))
                    .note("counters " + counters.path())) {
                result = TradingPipeline.run(allocator, stacks, defers, config, done -> { });
            }
            printStats(stats);
            OUT.println("counters file: " + counters.path() + " (removed on exit)");
        }
        OUT.printf(Locale.ROOT, "orders %,d in %.2f s: %,.0f orders/s; lost %d, corrupt %d, out of order %d%n",
                result.orders(), result.seconds(), result.ordersPerSecond(), result.lost(), result.corrupt(),
                result.outOfOrder());
        TradingPipeline.Latency latency = result.latency();
        TradingPipeline.Latency raw = result.uncorrected();
        if (config.rate() > 0) {
            OUT.printf(Locale.ROOT, "latency intended send->free (no coordinated omission): p50 %s  p99 %s  p99.9 %s"
                    + "  max %s%n", micros(latency.p50()), micros(latency.p99()), micros(latency.p999()),
                    micros(latency.max()));
            OUT.printf(Locale.ROOT, "latency publish->free: p50 %s  p99 %s  p99.9 %s  max %s%n",
                    micros(raw.p50()), micros(raw.p99()), micros(raw.p999()), micros(raw.max()));
        } else {
            // Coordinated-omission correction at the closed-loop producers' mean interval: see TradingPipeline.run.
            OUT.printf(Locale.ROOT, "latency publish->free, CO-corrected at %,d ns: p50 %s  p99 %s  p99.9 %s  max %s%n",
                    result.expectedIntervalNanos(), micros(latency.p50()), micros(latency.p99()),
                    micros(latency.p999()), micros(latency.max()));
            OUT.printf(Locale.ROOT, "latency publish->free, as recorded: p50 %s  p99 %s  p99.9 %s  max %s%n",
                    micros(raw.p50()), micros(raw.p99()), micros(raw.p999()), micros(raw.max()));
        }
        OUT.printf(Locale.ROOT, "Sys after warm-up %,d B, peak %,d B, end %,d B; GCs during the run: %d;"
                        + " at the end StackInuse %,d B, DeferInuse %,d B%n", result.sysAfterWarmup(), result.sysPeak(),
                result.sysEnd(), result.gcDuringRun(), result.stackInuseEnd(), result.deferInuseEnd());
        return result.lost() == 0 && result.corrupt() == 0 && result.outOfOrder() == 0 ? 0 : 1;
    }

    private static int stackmem(StackPool stacks, SegpoolJmx stats, ThreadChurn.Config config) throws Exception {
        long total = (long) config.batches() * config.threadsPerBatch();
        OUT.printf("TestStackMem: %d batches of %d threads, %d frames of %d B each%n", config.batches(),
                config.threadsPerBatch(), config.frames(), config.frameBytes());
        long[] done = new long[1];
        ThreadChurn.Result result;
        try (Progress progress = new Progress(stats, () -> (double) done[0] / total)) {
            result = ThreadChurn.run(stacks, config, n -> done[0] = n);
        }
        printStats(stats);
        long bound = 8L * config.threadsPerBatch() * config.frameBytes() * config.frames();
        OUT.printf(Locale.ROOT, "%,d threads in %.1f s; StackSys grew %,d B (%.1f MiB; seed bound %.0f MiB);"
                        + " StackInuse after %,d B%n", result.threads(), result.seconds(), result.stackSysGrowth(),
                result.stackSysGrowth() / 1048576.0, bound / 1048576.0, result.stackInuseAfter());
        return result.stackSysGrowth() <= bound && result.stackInuseAfter() <= 1 << 20 ? 0 : 1;
    }

    private static int vthreads(StackPool stacks, DeferPool defers, SegpoolJmx stats, int threads) {
        OUT.printf("%,d virtual threads, each with one 8-byte defer and one stack frame%n", threads);
        long[] done = new long[1];
        VirtualThreadStorm.Result result;
        try (Progress progress = new Progress(stats, () -> (double) done[0] / threads)) {
            result = VirtualThreadStorm.run(stacks, defers, threads, n -> done[0] = n);
        }
        printStats(stats);
        int bound = 2 * Runtime.getRuntime().availableProcessors();
        OUT.printf(Locale.ROOT, "%,d threads in %.1f s, %,d defers ran; StackSys + DeferSys %,d B (limit 64 MiB);"
                        + " caches %d + %d (bound %d each); peak RSS %,d KiB%n", result.threads(), result.seconds(),
                result.defersRun(), result.stackSys() + result.deferSys(), result.stackCaches(), result.deferCaches(),
                bound, result.peakRssKib());
        boolean ok = result.defersRun() == threads && result.stackSys() + result.deferSys() <= 64L << 20
                && result.stackCaches() <= bound && result.deferCaches() <= bound;
        return ok ? 0 : 1;
    }

    private static int soak(NativeAllocator allocator, StackPool stacks, DeferPool defers, SegpoolJmx stats,
                            Soak.Config config) throws Exception {
        OUT.printf(Locale.ROOT, "soak: %d threads, %s, seed %d%n", config.threads(), config.operations() > 0
                ? String.format(Locale.ROOT, "%,d operations", config.operations())
                : seconds(config.seconds()) + " s", config.seed());
        long start = System.nanoTime();
        long[] done = new long[1];
        Soak.Result result;
        try (Progress progress = new Progress(stats, () -> config.operations() > 0 ? (double) done[0] / config.operations()
                : (System.nanoTime() - start) / (config.seconds() * 1e9))) {
            result = Soak.run(allocator, stacks, defers, config, n -> done[0] = n);
        }
        allocator.trim();
        printStats(stats);
        OUT.printf(Locale.ROOT, "%,d operations in %.1f s (%,.0f/s); bad stamps %d; in use at end %d B; %d trims%n",
                result.operations(), result.seconds(), result.operations() / result.seconds(), result.badStamps(),
                result.liveAtEnd(), result.trims());
        return result.badStamps() == 0 && result.liveAtEnd() == 0 ? 0 : 1;
    }

    private static void printStats(SegpoolJmx stats) {
        MemStats snapshot = new MemStats();
        stats.readMemStats(snapshot);
        OUT.print(snapshot);
    }

    private static String micros(long nanos) {
        return String.format(Locale.ROOT, "%.1f µs", nanos / 1000.0);
    }

    /** Seconds as given: 10 as "10", 0.5 as "0.5". */
    private static String seconds(double seconds) {
        return seconds == Math.rint(seconds) ? String.valueOf((long) seconds) : String.valueOf(seconds);
    }
}
