package io.segpool.jmh;

import io.segpool.allocator.NativeAllocator;
import io.segpool.allocator.ThreadCache;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;

/**
 * Tails, not means (JMH SampleTime: p50 to max of single calls). {@code exchange40} allocates 40
 * blocks of 64 B one call at a time, then frees them one at a time, so the held cache's ring
 * runs dry and overflows: every sixteenth call or so trades a batch with the central stack, and
 * the slow calls are in the sample. {@code exchange40Malloc} is the same pattern on libc
 * {@code malloc}/{@code free} through critical downcalls. {@code carvingRefill} is an allocation
 * whose ring and central stack are empty and whose chunk was given back to the OS: the refill
 * carves a chunk and touches its released pages (bounded by design: one chunk, at most 128 KiB,
 * per refill).
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class TailBenchmark {

    private static final int RUN = 40;
    private static final long SIZE = 64;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle MALLOC = LINKER.downcallHandle(LINKER.defaultLookup().find("malloc").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG), Linker.Option.critical(false));
    private static final MethodHandle FREE = LINKER.downcallHandle(LINKER.defaultLookup().find("free").orElseThrow(),
            FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG), Linker.Option.critical(false));

    /** The 40-up, 40-down pattern's state: where the next call is in it. */
    @State(Scope.Thread)
    public static class Exchange {
        NativeAllocator allocator;
        ThreadCache cache;
        final long[] held = new long[RUN];
        int step;

        @Setup(Level.Trial)
        public void setUp() {
            allocator = NativeAllocator.create();
            cache = allocator.threadCache();
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Throwable {
            allocator.close();
        }
    }

    /** The same pattern's state for malloc; its blocks are freed at the end of the trial. */
    @State(Scope.Thread)
    public static class MallocExchange {
        final long[] held = new long[RUN];
        int step;

        @TearDown(Level.Trial)
        public void tearDown() throws Throwable {
            int at = step % (2 * RUN); // live now: held[0..at) while going up, held[at-RUN..RUN) coming down
            for (int i = at <= RUN ? 0 : at - RUN; i < Math.min(at, RUN) || (at > RUN && i < RUN); i++) {
                FREE.invokeExact(held[i]);
            }
        }
    }

    @Benchmark
    public long exchange40(Exchange s) {
        int at = s.step++ % (2 * RUN);
        if (at < RUN) {
            return s.held[at] = s.cache.allocateAddress(SIZE);
        }
        long block = s.held[at - RUN];
        s.cache.freeAddress(block, SIZE);
        return block;
    }

    @Benchmark
    public long exchange40Malloc(MallocExchange s) throws Throwable {
        int at = s.step++ % (2 * RUN);
        if (at < RUN) {
            return s.held[at] = (long) MALLOC.invokeExact(SIZE);
        }
        long block = s.held[at - RUN];
        FREE.invokeExact(block);
        return block;
    }

    /** An allocator whose 8 KiB class has nothing cached: the next allocation carves. */
    @State(Scope.Thread)
    public static class Carving {
        NativeAllocator allocator;
        ThreadCache cache;
        long last = -1;

        @Setup(Level.Trial)
        public void setUp() {
            allocator = NativeAllocator.create();
            cache = allocator.threadCache();
        }

        /** Frees the last block, empties the ring and gives the chunk back to the OS (not timed). */
        @Setup(Level.Invocation)
        public void empty() {
            if (last >= 0) {
                cache.freeAddress(last, 8192);
            }
            cache.flush();
            allocator.trim();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (last >= 0) {
                cache.freeAddress(last, 8192);
            }
            allocator.close();
        }
    }

    @Benchmark
    public long carvingRefill(Carving s) {
        return s.last = s.cache.allocateAddress(8192);
    }
}
