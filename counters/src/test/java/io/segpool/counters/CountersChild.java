package io.segpool.counters;

import io.segpool.allocator.NativeAllocator;
import io.segpool.allocator.jmx.SegpoolJmx;
import io.segpool.pools.DeferPool;
import io.segpool.pools.DeferScope;
import io.segpool.pools.Frame;
import io.segpool.pools.SegmentedStack;
import io.segpool.pools.StackPool;
import io.segpool.stats.MemStats;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The child JVM of {@link CountersCrossProcessTest}: publishes an allocator and its pools at the
 * path given, and on its parent's word runs a workload ({@code work}), stops it and reports the
 * figures of that quiet moment ({@code stop}), or closes and exits ({@code exit}).
 */
public final class CountersChild {

    private CountersChild() {
    }

    public static void main(String[] args) throws Exception {
        Path path = Path.of(args[0]);
        Duration period = Duration.ofMillis(Long.parseLong(args[1]));
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (NativeAllocator allocator = NativeAllocator.create(); StackPool stacks = StackPool.create();
             DeferPool defers = DeferPool.create()) {
            SegpoolJmx stats = new SegpoolJmx(allocator, stacks, defers);
            int noop = defers.register(a -> { });
            try (CountersPublisher publisher = CountersFile.publish(path, stats, period)) {
                System.out.println("ready");
                AtomicBoolean running = new AtomicBoolean();
                Thread worker = null;
                for (String line; (line = in.readLine()) != null; ) {
                    switch (line) {
                        case "work" -> {
                            running.set(true);
                            worker = Thread.ofPlatform().start(() -> work(allocator, stacks, defers, noop, running));
                        }
                        case "stop" -> {
                            running.set(false);
                            worker.join();
                            MemStats quiet = new MemStats();
                            stats.readMemStats(quiet);
                            System.out.println("quiet " + quiet.sys() + " " + quiet.inuse() + " " + quiet.cached()
                                    + " " + quiet.central() + " " + quiet.released() + " " + quiet.mallocs() + " "
                                    + quiet.frees() + " " + quiet.threadCaches() + " " + quiet.stackSys() + " "
                                    + quiet.stackInuse() + " " + quiet.deferSys() + " " + quiet.deferInuse());
                        }
                        case "exit" -> {
                            return;
                        }
                        default -> throw new IllegalArgumentException(line);
                    }
                }
            }
        }
    }

    /** Allocates and frees blocks of many sizes, keeping some alive, in frames and defers, until told to stop. */
    private static void work(NativeAllocator allocator, StackPool stacks, DeferPool defers, int noop,
                             AtomicBoolean running) {
        ArrayDeque<MemorySegment> live = new ArrayDeque<>();
        try (SegmentedStack stack = stacks.newStack(); DeferScope scope = defers.newScope()) {
            long i = 0;
            while (running.get()) {
                live.add(allocator.allocate(16 + (i % 200) * 8));
                if (live.size() > 5000) {
                    allocator.free(live.poll());
                }
                try (Frame frame = stack.push()) {
                    frame.allocate(64 + (i % 16) * 64);
                }
                scope.defer(noop, i);
                if (i % 64 == 0) {
                    scope.runDeferred();
                }
                i++;
            }
        }
        // 1000 blocks stay allocated: Inuse is not 0 at the quiet moment.
        while (live.size() > 1000) {
            allocator.free(live.poll());
        }
    }
}
