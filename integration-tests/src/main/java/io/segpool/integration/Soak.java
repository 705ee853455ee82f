package io.segpool.integration;

import io.segpool.allocator.NativeAllocator;
import io.segpool.allocator.ThreadCache;
import io.segpool.pools.DeferPool;
import io.segpool.pools.DeferScope;
import io.segpool.pools.Frame;
import io.segpool.pools.SegmentedStack;
import io.segpool.pools.StackPool;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;

/**
 * N threads doing a random mix of allocate, free, stack frames and defers across size classes for
 * a while, each block stamped with its owner and a serial that is checked when it is freed: a
 * block handed out twice, or written by anyone else, fails its stamp. The main thread meanwhile
 * reads MemStats and trims, racing the workers' slow paths.
 */
public final class Soak {

    /**
     * @param seconds    how long to run, when {@code operations} is 0
     * @param operations run exactly this many operations in all (split evenly), when positive
     */
    public record Config(int threads, double seconds, long operations, long seed) {
        public Config {
            if (threads < 1 || seconds < 0 || operations < 0 || (seconds == 0) == (operations == 0)) {
                throw new IllegalArgumentException("threads " + threads + ", seconds " + seconds + ", operations "
                        + operations + ": threads must be positive and exactly one of seconds and operations");
            }
        }
    }

    public record Result(long operations, long badStamps, long liveAtEnd, double seconds, long trims) {
    }

    private static final int LIVE = 4096;
    private static final long[] SIZES = {16, 24, 64, 100, 256, 1000, 4096, 8192, 40_000, 300_000, 2_000_000};

    private Soak() {
    }

    public static Result run(NativeAllocator allocator, StackPool stacks, DeferPool defers, Config config,
                             LongConsumer progress) throws InterruptedException {
        LongAdder operations = new LongAdder();
        LongAdder badStamps = new LongAdder();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        int noop = defers.register(args -> { });
        long deadline = config.operations() > 0 ? Long.MAX_VALUE : System.nanoTime() + (long) (config.seconds() * 1e9);
        long perThread = config.operations() > 0 ? Math.ceilDiv(config.operations(), config.threads()) : Long.MAX_VALUE;
        Thread[] workers = new Thread[config.threads()];
        for (int t = 0; t < workers.length; t++) {
            long seed = config.seed() + t;
            workers[t] = Thread.ofPlatform().name("soak-" + t).start(() -> {
                try {
                    work(allocator, stacks, defers, noop, seed, deadline, perThread, operations, badStamps);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
        }
        long trims = 0;
        io.segpool.stats.MemStats stats = new io.segpool.stats.MemStats();
        long start = System.nanoTime();
        while (anyAlive(workers)) {
            allocator.readMemStats(stats);
            allocator.trim();
            trims++;
            progress.accept(operations.sum());
            Thread.sleep(100); // paces the observer; the workers are joined below, not waited for by time
        }
        for (Thread worker : workers) {
            worker.join();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("a soak worker failed", failure.get());
        }
        allocator.readMemStats(stats);
        return new Result(operations.sum(), badStamps.sum(), stats.inuse(), (System.nanoTime() - start) / 1e9, trims);
    }

    private static boolean anyAlive(Thread[] threads) {
        for (Thread thread : threads) {
            if (thread.isAlive()) {
                return true;
            }
        }
        return false;
    }

    private static void work(NativeAllocator allocator, StackPool stacks, DeferPool defers, int noop, long seed,
                             long deadline, long limit, LongAdder operations, LongAdder badStamps) {
        SplittableRandom random = new SplittableRandom(seed);
        ThreadCache cache = allocator.threadCache();
        long[] addresses = new long[LIVE];
        long[] sizes = new long[LIVE];
        long[] stamps = new long[LIVE];
        long owner = Thread.currentThread().threadId() << 40;
        long serial = 0;
        long done = 0;
        try (SegmentedStack stack = stacks.newStack(); DeferScope scope = defers.newScope()) {
            while (done < limit && ((done & 0xFFFF) != 0 || System.nanoTime() < deadline)) {
                int slot = random.nextInt(LIVE);
                int action = random.nextInt(16);
                if (action < 14) {
                    if (addresses[slot] != 0) {
                        MemorySegment block = allocator.segment(addresses[slot], sizes[slot]);
                        if (block.get(ValueLayout.JAVA_LONG, 0) != stamps[slot]) {
                            badStamps.increment();
                        }
                        cache.freeAddress(addresses[slot], sizes[slot]);
                        addresses[slot] = 0;
                    } else {
                        long size = SIZES[random.nextInt(random.nextInt(100) == 0 ? SIZES.length : SIZES.length - 2)];
                        long address = cache.allocateAddress(size);
                        long stamp = owner | ++serial;
                        allocator.segment(address, size).set(ValueLayout.JAVA_LONG, 0, stamp);
                        addresses[slot] = address;
                        sizes[slot] = size;
                        stamps[slot] = stamp;
                    }
                } else if (action == 14) {
                    try (Frame frame = stack.push()) {
                        frame.allocate(1 + random.nextInt(20_000)).set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
                    }
                } else {
                    scope.defer(noop, done);
                    scope.runDeferred();
                }
                done++;
                if ((done & 0xFFFF) == 0) {
                    operations.add(0x10000);
                }
            }
            operations.add(done & 0xFFFF);
            for (int slot = 0; slot < LIVE; slot++) {
                if (addresses[slot] != 0) {
                    if (allocator.segment(addresses[slot], sizes[slot]).get(ValueLayout.JAVA_LONG, 0) != stamps[slot]) {
                        badStamps.increment();
                    }
                    cache.freeAddress(addresses[slot], sizes[slot]);
                }
            }
        }
    }
}
