package io.segpool.integration;

import io.netty.buffer.AdaptiveByteBufAllocator;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.segpool.allocator.AllocatorConfig;
import io.segpool.netty.SegpoolByteBufAllocator;
import io.segpool.stats.MemStats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code ./segpool netty}: the loopback echo of {@link NettyEcho} with segpool's allocator, Netty's
 * pooled one and its adaptive one (4.2's default) in turn, in one JVM, then a side-by-side table.
 * segpool runs first, so the others' chunks, which they keep, do not sit in its RSS baseline.
 */
@Command(name = "netty", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, sortOptions = false,
        description = {"Runs a loopback echo over NIO (one event loop on each side) with segpool's Netty allocator,"
                + " Netty's PooledByteBufAllocator and AdaptiveByteBufAllocator in turn, and prints throughput,"
                + " round-trip percentiles (HdrHistogram) and RSS at start, at the end of the load and after"
                + " the loops stop and an idle period (segpool with background release on)."})
final class NettyCommand implements Callable<Integer> {

    private static final PrintStream OUT = System.out;

    @Spec
    CommandSpec spec;

    @Option(names = "--seconds", paramLabel = "N", defaultValue = "5",
            description = "load per allocator: seconds, above 0 and at most 3600 (default ${DEFAULT-VALUE})")
    double seconds;

    @Option(names = "--size", paramLabel = "BYTES", defaultValue = "1024",
            description = "payload per frame: 0 to 16777200 bytes (default ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--window", paramLabel = "N", defaultValue = "16",
            description = "frames in flight: 1 to 4096 (default ${DEFAULT-VALUE})")
    int window;

    @Option(names = "--connections", paramLabel = "N", defaultValue = "1",
            description = "client connections, each with --window frames in flight: 1 to 256 (default ${DEFAULT-VALUE});"
                    + " with large frames (--size 262144) and many connections the pooled allocators keep many chunks")
    int connections;

    @Option(names = "--idle", paramLabel = "SECONDS", defaultValue = "3",
            description = "idle period after the load before RSS is read again: 0 to 600 (default ${DEFAULT-VALUE})")
    double idle;

    @Option(names = "--warmup", paramLabel = "SECONDS", defaultValue = "2",
            description = "an unmeasured echo first (segpool, an allocator of its own), so that Netty's pipeline and"
                    + " NIO code is compiled before the first measured run: 0 to 600 (default ${DEFAULT-VALUE})")
    double warmup;

    @Option(names = "--offload", description = "the server writes a copy and a virtual thread releases each received buffer")
    boolean offload;

    @Option(names = "--allocators", paramLabel = "LIST", split = ",", defaultValue = "segpool,pooled,adaptive",
            description = "which, in order: segpool, pooled, adaptive (default ${DEFAULT-VALUE})")
    List<String> allocators;

    @Override
    public Integer call() throws Exception {
        require(seconds > 0 && seconds <= 3600, "--seconds", seconds, "above 0 and at most 3600");
        require(size >= 0 && size <= 16_777_200, "--size", size, "from 0 to 16777200");
        require(window >= 1 && window <= 4096, "--window", window, "from 1 to 4096");
        require(connections >= 1 && connections <= 256, "--connections", connections, "from 1 to 256");
        require(idle >= 0 && idle <= 600, "--idle", idle, "from 0 to 600");
        require(warmup >= 0 && warmup <= 600, "--warmup", warmup, "from 0 to 600");
        for (String name : allocators) {
            require(List.of("segpool", "pooled", "adaptive").contains(name), "--allocators", name, "segpool, pooled or adaptive");
        }
        NettyEcho.Config config = new NettyEcho.Config(seconds, size, window, offload, idle, connections);
        OUT.printf(Locale.ROOT, "netty echo: %s s per allocator, %d B payload, %d connection(s) with %d in flight each,"
                + " release on %s, idle %s s%n",
                seconds, size, connections, window, offload ? "a virtual thread" : "the event loop", idle);
        if (warmup > 0) {
            try (SegpoolByteBufAllocator alloc = SegpoolByteBufAllocator.create(AllocatorConfig.defaults().withName("netty-warmup"))) {
                NettyEcho.run("warmup", alloc, new NettyEcho.Config(warmup, size, window, offload, 0, connections));
                alloc.trim();
            }
        }
        List<NettyEcho.Result> results = new ArrayList<>();
        int status = 0;
        for (String name : allocators) {
            switch (name) {
                case "segpool" -> {
                    // Background release: free chunks go back to the OS 1 s after they empty.
                    try (SegpoolByteBufAllocator alloc = SegpoolByteBufAllocator.create(
                            AllocatorConfig.defaults().withName("netty-echo").withReleaseAfter(Duration.ofSeconds(1)))) {
                        results.add(NettyEcho.run(name, alloc, config));
                        MemStats stats = new MemStats();
                        alloc.readMemStats(stats);
                        OUT.println("segpool after idle: Sys " + stats.sys() + " B, Inuse " + stats.inuse() + " B, Central "
                                + stats.central() + " B, Released " + stats.released() + " B; trim() then gave back "
                                + alloc.trim() + " B");
                        if (stats.inuse() != 0 || stats.sys() != stats.inuse() + stats.cached() + stats.central() + stats.released()) {
                            OUT.println("netty: FAILED: blocks still in use or Sys not conserved after the echo");
                            status = 1;
                        }
                    }
                }
                case "pooled" -> results.add(NettyEcho.run(name, new PooledByteBufAllocator(true), config));
                default -> results.add(NettyEcho.run(name, (ByteBufAllocator) new AdaptiveByteBufAllocator(), config));
            }
        }
        OUT.println();
        OUT.println("allocator   frames/s   MiB/s  p50 us  p99 us  p99.9 us  RSS start  RSS load  RSS idle  idle-start"
                + "  direct idle");
        for (NettyEcho.Result r : results) {
            OUT.printf(Locale.ROOT, "%-9s %10.0f %7.1f %7.1f %7.1f %9.1f %8d M %7d M %7d M %9d M %9.1f M%n", r.allocator(),
                    r.framesPerSecond(), r.framesPerSecond() * (size + 12) * 2 / (1 << 20),
                    r.rtt().getValueAtPercentile(50) / 1e3, r.rtt().getValueAtPercentile(99) / 1e3,
                    r.rtt().getValueAtPercentile(99.9) / 1e3, r.rssStart() >> 20, r.rssPeak() >> 20,
                    r.rssIdle() >> 20, (r.rssIdle() - r.rssStart()) >> 20, r.directIdle() / (double) (1 << 20));
        }
        OUT.println("(MiB/s counts both directions; RSS is the whole JVM's, heap included, from /proc/self/status;"
                + " direct idle is the allocator's metric().usedDirectMemory() after the idle period)");
        return status;
    }

    private void require(boolean ok, String option, Object value, String range) {
        if (!ok) {
            throw new ParameterException(spec.commandLine(), option + " " + value + ": must be " + range);
        }
    }
}
