package io.segpool.jmh;

import io.segpool.allocator.NativeAllocator;
import io.segpool.budgets.Budget;
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
import org.openjdk.jmh.annotations.Threads;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * What a budget adds to an allocate/free pair (issue 19's target: at most 2 ns, 0 B/op): the same
 * pair through the plain allocator and through a query budget ({@code db/query}, a 1 GiB limit, so
 * each thread's slot leases credit and the pair takes no lock), on 1 thread and on 2 threads
 * sharing the one budget; {@code budgetLockedPair1} through a 64 KiB budget, which leases no credit
 * (every call takes the tree's lock). Each method allocates {@code size} bytes, writes and reads a long, and
 * frees. Read them as ratios within one run; {@code -prof gc} shows the bytes per pair.
 *
 * <pre>
 * ./build -q -pl jmh -am -DskipTests package &amp;&amp; java --enable-native-access=ALL-UNNAMED \
 *     -jar jmh/target/benchmarks.jar BudgetBenchmark -prof gc -f 3 -wi 3 -w 1s -i 3 -r 1s
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class BudgetBenchmark {

    @Param({"64", "8192"})
    long size;

    /** The value written; a field, so the JIT cannot treat it as a constant. */
    long value = 0x5EC9_9001L;

    NativeAllocator allocator;
    Budget root;
    Budget query;
    /** A budget under 128 KiB leases no credit: every call takes the tree's lock, what the leases save. */
    Budget small;

    @Setup(Level.Trial)
    public void setUp() {
        allocator = NativeAllocator.create();
        root = Budget.root(allocator, "db", 4L << 30);
        query = root.newChild("query", 0, 1L << 30);
        small = root.newChild("small", 0, 64 << 10);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        root.close();
        allocator.close();
    }

    private long plain() {
        MemorySegment s = allocator.allocate(size);
        s.set(ValueLayout.JAVA_LONG, 0, value);
        long v = s.get(ValueLayout.JAVA_LONG, 0);
        allocator.free(s);
        return v;
    }

    private long budgeted() {
        MemorySegment s = query.allocate(size);
        s.set(ValueLayout.JAVA_LONG, 0, value);
        long v = s.get(ValueLayout.JAVA_LONG, 0);
        query.free(s);
        return v;
    }

    @Benchmark
    @Threads(1)
    public long plainPair1() {
        return plain();
    }

    @Benchmark
    @Threads(1)
    public long budgetPair1() {
        return budgeted();
    }

    @Benchmark
    @Threads(2)
    public long plainPair2() {
        return plain();
    }

    @Benchmark
    @Threads(2)
    public long budgetPair2() {
        return budgeted();
    }

    @Benchmark
    @Threads(1)
    public long budgetLockedPair1() {
        MemorySegment s = small.allocate(size);
        s.set(ValueLayout.JAVA_LONG, 0, value);
        long v = s.get(ValueLayout.JAVA_LONG, 0);
        small.free(s);
        return v;
    }

    @Benchmark
    @Threads(1)
    public long budgetAddressPair1() {
        long address = query.allocateAddress(size);
        MemorySegment s = allocator.segment(address, size);
        s.set(ValueLayout.JAVA_LONG, 0, value);
        long v = s.get(ValueLayout.JAVA_LONG, 0);
        query.freeAddress(address, size);
        return v;
    }
}
