package io.segpool.pools;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seed 000's scenario at Java scale: a million virtual threads, each opening a {@link DeferScope}
 * with one 8-byte defer and pushing one stack frame, all joined. Virtual threads never get a cache
 * of their own (a million caches of 32 blocks each would be the unbounded growth seed 001 fixed):
 * they share 2 × processors striped caches per allocator.
 */
@org.junit.jupiter.api.Timeout(value = 10, unit = TimeUnit.MINUTES)
class VirtualThreadStormTest {

    private static final int THREADS = Integer.getInteger("segpool.vthreads", 1_000_000);
    private static final long LIMIT = 64L << 20;

    @Test
    void aMillionVirtualThreadsDeferAndPushWithinBoundedMemory() throws Exception {
        try (StackPool stacks = StackPool.create(); DeferPool defers = DeferPool.create()) {
            LongAdder ran = new LongAdder();
            int count = defers.register(args -> ran.add(args.word()));
            AtomicReference<Throwable> failure = new AtomicReference<>();
            long start = System.nanoTime();
            ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
            try {
                for (int i = 0; i < THREADS; i++) {
                    executor.execute(() -> {
                        try (DeferScope scope = defers.newScope(); SegmentedStack stack = stacks.newStack()) {
                            scope.defer(count, 1L);
                            try (var frame = stack.push()) {
                                MemorySegment local = frame.allocate(256);
                                local.set(ValueLayout.JAVA_LONG, 0, 42);
                                if (local.get(ValueLayout.JAVA_LONG, 0) != 42) {
                                    throw new AssertionError("frame lost its bytes");
                                }
                            }
                        } catch (Throwable t) {
                            failure.compareAndSet(null, t);
                        }
                    });
                }
            } finally {
                executor.shutdown();
            }
            // Not close(): it waits without bound, so one thread parked for good would hang the build.
            assertTrue(executor.awaitTermination(5, TimeUnit.MINUTES), "virtual threads still running after 5 minutes");
            long elapsed = System.nanoTime() - start;
            assertNull(failure.get());
            assertEquals(THREADS, ran.sum(), "every virtual thread's defer ran once");

            MemStats stats = new MemStats();
            stacks.readPoolStats(stats);
            defers.readPoolStats(stats);
            MemStats stackAllocator = new MemStats();
            MemStats deferAllocator = new MemStats();
            stacks.readMemStats(stackAllocator);
            defers.readMemStats(deferAllocator);
            int processors = Runtime.getRuntime().availableProcessors();
            System.out.printf("virtual-thread storm: %,d threads in %.1f s; StackSys %,d + DeferSys %,d bytes"
                            + " (limit %,d); thread caches %d + %d (bound %d each); peak RSS %s%n",
                    THREADS, elapsed / 1e9, stats.stackSys(), stats.deferSys(), LIMIT,
                    stackAllocator.threadCaches(), deferAllocator.threadCaches(), 2 * processors, peakRss());
            assertTrue(stats.stackSys() + stats.deferSys() <= LIMIT);
            assertEquals(0, stats.stackInuse());
            assertEquals(0, stats.deferInuse());
            assertTrue(stackAllocator.threadCaches() <= 2L * processors, stackAllocator.toString());
            assertTrue(deferAllocator.threadCaches() <= 2L * processors, deferAllocator.toString());
        }
    }

    /** VmHWM of this JVM, from /proc (Linux); "n/a" elsewhere. */
    static String peakRss() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(line -> line.startsWith("VmHWM:"))
                    .map(line -> line.substring(6).trim())
                    .findFirst().orElse("n/a");
        } catch (IOException e) {
            return "n/a";
        }
    }
}
