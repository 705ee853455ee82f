package io.segpool.jmh;

import io.netty.buffer.AdaptiveByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.segpool.allocator.NativeAllocator;
import io.segpool.allocator.ThreadCache;
import io.segpool.stats.MemStats;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Allocate/free from many virtual threads: segpool (whose virtual threads share 2 × processors
 * striped caches) against Netty 4.2's {@code AdaptiveByteBufAllocator} (built for virtual threads:
 * magazines striped by thread id). Each invocation starts {@value #TASKS} virtual threads that do
 * {@value #PAIRS} allocate/write/read/free pairs each, and waits for all; the score is ns per pair.
 * The {@code ...FewTasks} methods do the same pairs in {@value #FEW_TASKS} threads of
 * {@value #FEW_PAIRS} pairs, where the per-task cost (start, join) weighs less.
 * {@code segpoolBorrowedCache} borrows one stripe per task with {@link NativeAllocator#borrowCache()}
 * instead of taking one per call. The tear-down prints the memory each allocator holds afterwards.
 *
 * <p>Run: {@code java --enable-native-access=ALL-UNNAMED -jar jmh/target/benchmarks.jar VirtualThreadBenchmark -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Dio.netty.leakDetection.level=disabled",
        "--sun-misc-unsafe-memory-access=allow"})
public class VirtualThreadBenchmark {

    static final int TASKS = 64;
    static final int PAIRS = 200;
    static final int FEW_TASKS = 2;
    static final int FEW_PAIRS = TASKS * PAIRS / FEW_TASKS;

    @Param({"64", "8192"})
    int size;

    NativeAllocator segpool;
    AdaptiveByteBufAllocator netty;
    ExecutorService executor;
    final Future<?>[] futures = new Future<?>[TASKS];

    @Setup(Level.Trial)
    public void open() {
        segpool = NativeAllocator.create();
        netty = new AdaptiveByteBufAllocator();
        executor = Executors.newVirtualThreadPerTaskExecutor();
    }

    @TearDown(Level.Trial)
    public void close() {
        executor.close();
        MemStats stats = new MemStats();
        segpool.readMemStats(stats);
        System.out.printf("%n[memory held after the run] segpool Sys %,d B; Netty adaptive usedDirectMemory %,d B%n",
                stats.sys(), netty.metric().usedDirectMemory());
        segpool.close();
    }

    @Benchmark
    @OperationsPerInvocation(TASKS * PAIRS)
    public void segpool() throws Exception {
        run(TASKS, PAIRS, this::plainPairs);
    }

    @Benchmark
    @OperationsPerInvocation(TASKS * PAIRS)
    public void nettyAdaptive() throws Exception {
        run(TASKS, PAIRS, this::nettyPairs);
    }

    @Benchmark
    @OperationsPerInvocation(TASKS * PAIRS)
    public void segpoolBorrowedCache() throws Exception {
        run(TASKS, PAIRS, this::borrowedPairs);
    }

    @Benchmark
    @OperationsPerInvocation(TASKS * PAIRS)
    public void segpoolFewTasks() throws Exception {
        run(FEW_TASKS, FEW_PAIRS, this::plainPairs);
    }

    @Benchmark
    @OperationsPerInvocation(TASKS * PAIRS)
    public void segpoolBorrowedCacheFewTasks() throws Exception {
        run(FEW_TASKS, FEW_PAIRS, this::borrowedPairs);
    }

    @Benchmark
    @OperationsPerInvocation(TASKS * PAIRS)
    public void nettyAdaptiveFewTasks() throws Exception {
        run(FEW_TASKS, FEW_PAIRS, this::nettyPairs);
    }

    private void run(int tasks, int pairs, java.util.function.IntConsumer body) throws Exception {
        for (int t = 0; t < tasks; t++) {
            futures[t] = executor.submit(() -> body.accept(pairs));
        }
        for (int t = 0; t < tasks; t++) {
            futures[t].get();
        }
    }

    private void plainPairs(int pairs) {
        for (int i = 0; i < pairs; i++) {
            MemorySegment block = segpool.allocate(size);
            block.set(ValueLayout.JAVA_LONG, 0, i);
            if (block.get(ValueLayout.JAVA_LONG, 0) != i) {
                throw new IllegalStateException("lost write");
            }
            segpool.free(block);
        }
    }

    private void borrowedPairs(int pairs) {
        try (ThreadCache cache = segpool.borrowCache()) {
            for (int i = 0; i < pairs; i++) {
                MemorySegment block = cache.allocate(size);
                block.set(ValueLayout.JAVA_LONG, 0, i);
                if (block.get(ValueLayout.JAVA_LONG, 0) != i) {
                    throw new IllegalStateException("lost write");
                }
                cache.free(block);
            }
        }
    }

    private void nettyPairs(int pairs) {
        for (int i = 0; i < pairs; i++) {
            ByteBuf buffer = netty.directBuffer(size);
            buffer.setLong(0, i);
            if (buffer.getLong(0) != i) {
                throw new IllegalStateException("lost write");
            }
            buffer.release();
        }
    }
}
