package io.segpool.integration;

import io.segpool.allocator.NativeAllocator;
import io.segpool.pools.DeferPool;
import io.segpool.pools.SegpoolStats;
import io.segpool.pools.StackPool;
import io.segpool.stats.MemStats;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code ./segpool} commands: each runs one workload with a progress bar and a live MemStats
 * line, then prints the figures. Exit codes: 0 done, 1 a workload check failed, 2 bad usage.
 */
public final class Main {

    private static final PrintStream OUT = System.out;

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        System.exit(run(args));
    }

    static int run(String[] args) throws Exception {
        if (args.length == 0 || isHelp(args[0])) {
            OUT.print(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        String command = args[0];
        Map<String, String> defaults = switch (command) {
            case "demo" -> options("seconds", "10", "ring", "1024");
            case "stackmem" -> options("batches", "512", "threads", "32", "frames", "128", "frame-bytes", "1024");
            case "vthreads" -> options("threads", "1000000");
            case "soak" -> options("seconds", "10", "threads", "2", "seed", "1", "operations", "0");
            default -> null;
        };
        if (defaults == null) {
            System.err.println("segpool: unknown command '" + command + "'");
            System.err.print(USAGE);
            return 2;
        }
        Map<String, String> options;
        try {
            options = parse(command, args, defaults);
        } catch (IllegalArgumentException e) {
            System.err.println("segpool " + command + ": " + e.getMessage());
            System.err.println("try ./segpool " + command + " --help");
            return 2;
        }
        if (options == null) {
            OUT.print(help(command, defaults));
            return 0;
        }
        try (NativeAllocator allocator = NativeAllocator.create(); StackPool stacks = StackPool.create();
             DeferPool defers = DeferPool.create()) {
            SegpoolStats stats = new SegpoolStats(allocator, stacks, defers);
            return switch (command) {
                case "demo" -> demo(allocator, stats, number(options, "seconds"), (int) number(options, "ring"));
                case "stackmem" -> stackmem(stacks, stats, new ThreadChurn.Config((int) number(options, "batches"),
                        (int) number(options, "threads"), (int) number(options, "frames"),
                        (int) number(options, "frame-bytes")));
                case "vthreads" -> vthreads(stacks, defers, stats, (int) number(options, "threads"));
                default -> soak(allocator, stacks, defers, stats, new Soak.Config((int) number(options, "threads"),
                        number(options, "operations") > 0 ? 0 : number(options, "seconds"),
                        (long) number(options, "operations"), (long) number(options, "seed")));
            };
        }
    }

    private static int demo(NativeAllocator allocator, SegpoolStats stats, double seconds, int ring) throws Exception {
        OUT.printf("trading pipeline: producer -> Disruptor (%d slots) -> consumer, %.0f s, orders of 64-256 B%n",
                ring, seconds);
        long start = System.nanoTime();
        TradingPipeline.Result result;
        try (Progress progress = new Progress(stats, () -> (System.nanoTime() - start) / (seconds * 1e9))) {
            result = TradingPipeline.run(allocator, new TradingPipeline.Config(0, seconds, 200_000, ring), done -> { });
        }
        printStats(stats);
        OUT.printf(Locale.ROOT, "orders %,d in %.2f s: %,.0f orders/s; lost %d, corrupt %d, out of order %d%n",
                result.orders(), result.seconds(), result.ordersPerSecond(), result.lost(), result.corrupt(),
                result.outOfOrder());
        OUT.printf(Locale.ROOT, "latency publish->free: p50 %s  p99 %s  p99.9 %s  max %s%n", micros(result.p50()),
                micros(result.p99()), micros(result.p999()), micros(result.max()));
        OUT.printf(Locale.ROOT, "Sys after warm-up %,d B, peak %,d B, end %,d B; GCs during the run: %d%n",
                result.sysAfterWarmup(), result.sysPeak(), result.sysEnd(), result.gcDuringRun());
        return result.lost() == 0 && result.corrupt() == 0 && result.outOfOrder() == 0 ? 0 : 1;
    }

    private static int stackmem(StackPool stacks, SegpoolStats stats, ThreadChurn.Config config) throws Exception {
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

    private static int vthreads(StackPool stacks, DeferPool defers, SegpoolStats stats, int threads) {
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

    private static int soak(NativeAllocator allocator, StackPool stacks, DeferPool defers, SegpoolStats stats,
                            Soak.Config config) throws Exception {
        OUT.printf(Locale.ROOT, "soak: %d threads, %s, seed %d%n", config.threads(), config.operations() > 0
                ? String.format(Locale.ROOT, "%,d operations", config.operations())
                : String.format(Locale.ROOT, "%.0f s", config.seconds()), config.seed());
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

    private static void printStats(SegpoolStats stats) {
        MemStats snapshot = new MemStats();
        stats.readMemStats(snapshot);
        OUT.print(snapshot);
    }

    private static String micros(long nanos) {
        return String.format(Locale.ROOT, "%.1f µs", nanos / 1000.0);
    }

    // ---- options ------------------------------------------------------------------------------

    private static Map<String, String> options(String... pairs) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put(pairs[i], pairs[i + 1]);
        }
        return map;
    }

    /** The options with defaults filled in, or null when help was asked for. */
    private static Map<String, String> parse(String command, String[] args, Map<String, String> defaults) {
        Map<String, String> options = new LinkedHashMap<>(defaults);
        for (int i = 1; i < args.length; i++) {
            if (isHelp(args[i])) {
                return null;
            }
            String arg = args[i];
            String name = arg.startsWith("--") ? arg.substring(2) : null;
            if (name == null || !defaults.containsKey(name)) {
                throw new IllegalArgumentException("unknown option '" + arg + "'; options: --"
                        + String.join(", --", defaults.keySet()));
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option --" + name + " needs a value");
            }
            String value = args[++i];
            try {
                if (Double.parseDouble(value) <= 0 && !(name.equals("operations") && value.equals("0"))) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--" + name + " " + value + " is not a positive number");
            }
            options.put(name, value);
        }
        return options;
    }

    private static double number(Map<String, String> options, String name) {
        return Double.parseDouble(options.get(name));
    }

    private static boolean isHelp(String arg) {
        return arg.equals("--help") || arg.equals("-h") || arg.equals("help");
    }

    private static String help(String command, Map<String, String> defaults) {
        StringBuilder text = new StringBuilder("usage: ./segpool " + command);
        defaults.forEach((name, value) -> text.append(" [--").append(name).append(" N]"));
        text.append("\n\n").append(DESCRIPTIONS.get(command)).append("\n\ndefaults:");
        defaults.forEach((name, value) -> text.append(" --").append(name).append(' ').append(value));
        return text.append('\n').toString();
    }

    private static final Map<String, String> DESCRIPTIONS = Map.of(
            "demo", "Runs the trading pipeline: a producer allocates order blocks, encodes them through a Chronicle"
                    + " view and\npublishes their addresses on an LMAX Disruptor; a consumer checks and frees them.",
            "stackmem", "Runs seed 002's TestStackMem shape: batches of new platform threads, each growing a"
                    + " segmented stack.",
            "vthreads", "Runs many virtual threads, each with a defer and a stack frame (seed 000's scenario).",
            "soak", "Runs threads doing random allocate/free/frames/defers with ownership stamps checked on free.");

    private static final String USAGE = """
            usage: ./segpool COMMAND [OPTIONS]

            commands:
              demo       the trading pipeline for ~10 s, with live MemStats (the main job)
              stackmem   seed 002's TestStackMem shape: threads come and go, StackSys must stay bounded
              vthreads   a million virtual threads with a defer and a stack frame each
              soak       random allocate/free/frames/defers on N threads, ownership checked
              example    a short tour of the allocator API
              help       this text

            each command takes --help.
            """;
}
