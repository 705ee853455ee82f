package io.segpool.jmh;

import io.segpool.allocator.NativeAllocator;
import io.segpool.allocator.ThreadCache;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.TimeUnit;

/**
 * Sixteen blocks at once: {@code batch16} takes them with one {@link ThreadCache#allocateBatch}
 * and gives them back with one {@link ThreadCache#freeBatch}; {@code singles16} does the same
 * with sixteen {@code allocateAddress}/{@code freeAddress} pairs. One operation is sixteen
 * pairs either way, so the ratio of the two rows is the batch's gain per block. Both write one
 * word into each block through a view ({@code allocator.segment}), and both hold the thread's
 * cache; the {@code ...Bare} rows leave the blocks untouched, so their ratio is the allocator's alone.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class BatchBenchmark {

    private static final int N = 16;

    @Param({"64"})
    long size;

    NativeAllocator allocator;
    ThreadCache cache;
    final long[] blocks = new long[N];

    @Setup(Level.Trial)
    public void setUp() {
        allocator = NativeAllocator.create();
        cache = allocator.threadCache();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        allocator.close();
    }

    @Benchmark
    public long batch16() {
        cache.allocateBatch(size, blocks, 0, N);
        long sum = touch();
        cache.freeBatch(size, blocks, 0, N);
        return sum;
    }

    @Benchmark
    public long singles16() {
        for (int i = 0; i < N; i++) {
            blocks[i] = cache.allocateAddress(size);
        }
        long sum = touch();
        for (int i = 0; i < N; i++) {
            cache.freeAddress(blocks[i], size);
        }
        return sum;
    }

    /** {@code batch16} without the touch: the allocator's own cost per 16 pairs. */
    @Benchmark
    public long batch16Bare() {
        cache.allocateBatch(size, blocks, 0, N);
        long sum = blocks[0] ^ blocks[N - 1];
        cache.freeBatch(size, blocks, 0, N);
        return sum;
    }

    /** {@code singles16} without the touch: sixteen single pairs, the allocator's own cost. */
    @Benchmark
    public long singles16Bare() {
        for (int i = 0; i < N; i++) {
            blocks[i] = cache.allocateAddress(size);
        }
        long sum = blocks[0] ^ blocks[N - 1];
        for (int i = 0; i < N; i++) {
            cache.freeAddress(blocks[i], size);
        }
        return sum;
    }

    /** Writes and reads one word of every block, through one view each, so neither row is dead code. */
    private long touch() {
        long sum = 0;
        for (int i = 0; i < N; i++) {
            var view = allocator.segment(blocks[i], Long.BYTES);
            view.set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, i);
            sum += view.get(java.lang.foreign.ValueLayout.JAVA_LONG, 0);
        }
        return sum;
    }
}
