package io.segpool.jmh;

import io.segpool.pools.Frame;
import io.segpool.pools.SegmentedStack;
import io.segpool.pools.StackPool;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * Seed 002's {@code BenchmarkStackGrowth} and {@code BenchmarkStackGrowthDeep}: what does one stack
 * frame cost? Each call recurses {@code depth} levels; each level pushes a {@link Frame}, takes a
 * 1 KiB buffer from it, writes and reads one {@code long}, recurses, and closes the frame. With
 * 8 KiB segments every eighth level takes a new segment from the pool (through the thread's ring)
 * and every eighth close gives one back. Results are per frame ({@link OperationsPerInvocation}),
 * so the 10- and 1024-deep figures compare directly; multiply by 10 for the seed's per-call figure.
 * The {@code 2Threads} variants run two threads on one shared pool, each with its own stack.
 *
 * <p>Run, from the repository root:
 * <pre>
 * ./mvnw -q -pl jmh -am -DskipTests package &amp;&amp; /usr/lib/jvm/temurin-25-jdk-amd64/bin/java \
 *     --enable-native-access=ALL-UNNAMED -jar jmh/target/benchmarks.jar StackGrowthBenchmark \
 *     -prof gc -f 1 -wi 3 -w 1 -i 5 -r 1
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class StackGrowthBenchmark {

    static final long FRAME_BYTES = 1024;

    /** One pool for all benchmark threads, as one pool serves a whole process. */
    @State(Scope.Benchmark)
    public static class Pool {
        StackPool pool;

        @Setup(Level.Trial)
        public void open() {
            pool = StackPool.create();
        }

        @TearDown(Level.Trial)
        public void close() {
            pool.close();
        }
    }

    /** Each benchmark thread's own stack, made on that thread. */
    @State(Scope.Thread)
    public static class Stack {
        SegmentedStack stack;

        @Setup(Level.Trial)
        public void open(Pool pool) {
            stack = pool.pool.newStack();
        }

        @TearDown(Level.Trial)
        public void close() {
            stack.close();
        }
    }

    @Benchmark
    @OperationsPerInvocation(10)
    public long stackGrowth(Stack stack) {
        return grow(stack.stack, 10);
    }

    @Benchmark
    @Threads(2)
    @OperationsPerInvocation(10)
    public long stackGrowth2Threads(Stack stack) {
        return grow(stack.stack, 10);
    }

    @Benchmark
    @OperationsPerInvocation(1024)
    public long stackGrowthDeep(Stack stack) {
        return grow(stack.stack, 1024);
    }

    @Benchmark
    @Threads(2)
    @OperationsPerInvocation(1024)
    public long stackGrowthDeep2Threads(Stack stack) {
        return grow(stack.stack, 1024);
    }

    /**
     * One frame that crosses a segment edge per op: an outer frame (opened once per trial) fills
     * its segment but for 16 bytes, so each 1 KiB frame takes a new segment and its close empties
     * it: the case a stack's spare segment serves without an allocator call.
     */
    @State(Scope.Thread)
    public static class Edge {
        SegmentedStack stack;
        Frame outer;

        @Setup(Level.Trial)
        public void open(Pool pool) {
            stack = pool.pool.newStack();
            outer = stack.push();
            outer.allocate(StackPool.DEFAULT_SEGMENT_SIZE - 16);
        }

        @TearDown(Level.Trial)
        public void close() {
            outer.close();
            stack.close();
        }
    }

    @Benchmark
    public long stackEdge(Edge edge) {
        return grow(edge.stack, 1);
    }

    private static long grow(SegmentedStack stack, int depth) {
        try (Frame frame = stack.push()) {
            MemorySegment buffer = frame.allocate(FRAME_BYTES);
            buffer.set(ValueLayout.JAVA_LONG, 0, depth);
            long below = depth > 1 ? grow(stack, depth - 1) : 0;
            return below + buffer.get(ValueLayout.JAVA_LONG, 0);
        }
    }
}
