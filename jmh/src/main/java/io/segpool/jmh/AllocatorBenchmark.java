package io.segpool.jmh;

import io.segpool.allocator.Ablations;
import io.segpool.allocator.AllocatorConfig;
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

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;

/**
 * What does one allocate/free pair cost with segpool, next to the JDK's own ways of getting native
 * memory, on one thread? Every method does the same work: allocate {@code size} bytes, write one
 * {@code long} at offset 0, read it back, free, and return what it read (so that nothing is dead).
 * Only the way in changes:
 * <ul>
 *   <li>{@code segpoolThreadLocal}: {@link NativeAllocator#allocate(long)} / {@link NativeAllocator#free},
 *   which find the thread's cache through a {@code ThreadLocal} on every call;
 *   <li>{@code segpoolHeldCache}: the same through a {@link ThreadCache} held in the state (no
 *   {@code ThreadLocal} lookup);
 *   <li>{@code segpoolHeldCacheUnchecked}: the same with {@code checkFrees=false}; its difference to
 *   {@code segpoolHeldCache} is the cost of the wrong-free checks;
 *   <li>{@code segpoolHeldAddress}: {@link ThreadCache#allocateAddress} / {@link ThreadCache#freeAddress},
 *   viewing the block with {@link NativeAllocator#segment(long, long)};
 *   <li>{@code mallocFree} / {@code mallocFreeCritical}: libc {@code malloc}/{@code free} through FFM
 *   downcalls, plain and with {@link Linker.Option#critical(boolean) critical(false)};
 *   <li>{@code arenaConfined}: a confined {@link Arena} per block (which also zeroes it);
 *   <li>{@code segpoolNoCacheAblation}: no thread cache ({@code Ablations.noCache} in segpool-engine-probe: a central lock per call): what the
 *   rings save, and (run with {@code -t 2}) how a shared lock scales.
 * </ul>
 * Read the results as ratios within one run: the machines these run on are shared and noisy.
 * {@code -prof gc} shows {@code gc.alloc.rate.norm}: 0 B/op means the JIT removed the segment
 * objects (escape analysis) and the pair makes no garbage.
 *
 * <p>Run, from the repository root:
 * <pre>
 * ./mvnw -q -pl jmh -am -DskipTests package &amp;&amp; /usr/lib/jvm/temurin-25-jdk-amd64/bin/java \
 *     --enable-native-access=ALL-UNNAMED -jar jmh/target/benchmarks.jar AllocatorBenchmark \
 *     -prof gc -f 1 -wi 3 -w 1 -i 5 -r 1 -rf json -rff jmh/allocator-result.json
 * </pre>
 * The forked JVMs get {@code --enable-native-access=ALL-UNNAMED} from {@link Fork#jvmArgsAppend()}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class AllocatorBenchmark {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MemorySegment MALLOC_ADDR = LINKER.defaultLookup().find("malloc").orElseThrow();
    private static final MemorySegment FREE_ADDR = LINKER.defaultLookup().find("free").orElseThrow();
    // Pointers pass as Java longs (size_t and void* are both 64-bit on the platforms this runs on),
    // so the address comes back as a long, as from allocateAddress, and the view is made below.
    private static final FunctionDescriptor MALLOC_DESC = FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG);
    private static final FunctionDescriptor FREE_DESC = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG);
    private static final MethodHandle MALLOC = LINKER.downcallHandle(MALLOC_ADDR, MALLOC_DESC);
    private static final MethodHandle FREE = LINKER.downcallHandle(FREE_ADDR, FREE_DESC);
    private static final MethodHandle MALLOC_CRITICAL =
            LINKER.downcallHandle(MALLOC_ADDR, MALLOC_DESC, Linker.Option.critical(false));
    private static final MethodHandle FREE_CRITICAL =
            LINKER.downcallHandle(FREE_ADDR, FREE_DESC, Linker.Option.critical(false));

    /**
     * The process-wide allocator, in a {@code static final} as its Javadoc advises. The
     * {@code globalUnchecked} row's fork sets {@code -Dsegpool.global.checkFrees=false}, so there
     * the same field holds an unchecked global allocator.
     */
    private static final NativeAllocator GLOBAL = NativeAllocator.global();

    @Param({"16", "64", "512", "8192", "2097152", "16777216"})
    long size;

    /** The value written; a field, so the JIT cannot treat it as a constant. */
    long value = 0x5EC9_9001L;

    NativeAllocator allocator;
    NativeAllocator unchecked;
    /** Blocks handed out zeroed: the cost of the zeroing policy. */
    NativeAllocator zeroed;
    ThreadCache zeroedCache;
    /** The no-thread-cache ablation: every allocate and free takes the class's central lock. */
    NativeAllocator noCache;
    Ablations.Pair noCacheCache;
    /** Obtained in the trial setup, which for Scope.Thread state runs on the benchmark thread. */
    ThreadCache cache;
    ThreadCache uncheckedCache;
    ThreadCache globalCache;

    @Setup(Level.Trial)
    public void setUp() {
        allocator = NativeAllocator.create();
        unchecked = NativeAllocator.create(AllocatorConfig.defaults().withCheckFrees(false));
        cache = allocator.threadCache();
        uncheckedCache = unchecked.threadCache();
        noCache = NativeAllocator.create();
        noCacheCache = Ablations.noCache(noCache);
        zeroed = NativeAllocator.create(AllocatorConfig.defaults().withZeroed(true));
        zeroedCache = zeroed.threadCache();
        globalCache = GLOBAL.threadCache();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        allocator.close();
        unchecked.close();
        noCache.close();
        zeroed.close();
    }

    @Benchmark
    public long segpoolThreadLocal() {
        MemorySegment s = allocator.allocate(size);
        s.set(ValueLayout.JAVA_LONG, 0, value);
        long r = s.get(ValueLayout.JAVA_LONG, 0);
        allocator.free(s);
        return r;
    }

    @Benchmark
    public long segpoolHeldCache() {
        MemorySegment s = cache.allocate(size);
        s.set(ValueLayout.JAVA_LONG, 0, value);
        long r = s.get(ValueLayout.JAVA_LONG, 0);
        cache.free(s);
        return r;
    }

    @Benchmark
    public long segpoolHeldCacheUnchecked() {
        MemorySegment s = uncheckedCache.allocate(size);
        s.set(ValueLayout.JAVA_LONG, 0, value);
        long r = s.get(ValueLayout.JAVA_LONG, 0);
        uncheckedCache.free(s);
        return r;
    }

    /** The held-cache pair with {@code AllocatorConfig.zeroed}: its difference to segpoolHeldCache is the fill. */
    @Benchmark
    public long segpoolZeroed() {
        MemorySegment s = zeroedCache.allocate(size);
        s.set(ValueLayout.JAVA_LONG, 0, value);
        long r = s.get(ValueLayout.JAVA_LONG, 0);
        zeroedCache.free(s);
        return r;
    }

    /** Ablation (the Go "stack contention" commit's "before"): the same held-cache call with no ring: a lock per operation. */
    @Benchmark
    public long segpoolNoCacheAblation() {
        MemorySegment s = noCacheCache.allocate(size);
        s.set(ValueLayout.JAVA_LONG, 0, value);
        long r = s.get(ValueLayout.JAVA_LONG, 0);
        noCacheCache.free(s);
        return r;
    }

    @Benchmark
    public long segpoolHeldAddress() {
        long a = cache.allocateAddress(size);
        MemorySegment s = allocator.segment(a, size);
        s.set(ValueLayout.JAVA_LONG, 0, value);
        long r = s.get(ValueLayout.JAVA_LONG, 0);
        cache.freeAddress(a, size);
        return r;
    }

    /** {@code segpoolHeldCache} on {@link NativeAllocator#global()}. */
    @Benchmark
    public long globalHeldCache() {
        MemorySegment s = globalCache.allocate(size);
        s.set(ValueLayout.JAVA_LONG, 0, value);
        long r = s.get(ValueLayout.JAVA_LONG, 0);
        globalCache.free(s);
        return r;
    }

    /** The plain call on the global allocator: {@code GLOBAL.allocate}/{@code free}, which find the thread's cache. */
    @Benchmark
    public long globalThreadLocal() {
        MemorySegment s = GLOBAL.allocate(size);
        s.set(ValueLayout.JAVA_LONG, 0, value);
        long r = s.get(ValueLayout.JAVA_LONG, 0);
        GLOBAL.free(s);
        return r;
    }

    /** {@code globalHeldCache} in a fork whose global allocator has {@code checkFrees=false}. */
    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Dsegpool.global.checkFrees=false"})
    public long globalUnchecked() {
        return globalHeldCache();
    }

    /** The address API on the global allocator, viewed with {@code segment(address, size)}. */
    @Benchmark
    public long globalAddress() {
        long a = globalCache.allocateAddress(size);
        MemorySegment s = GLOBAL.segment(a, size);
        s.set(ValueLayout.JAVA_LONG, 0, value);
        long r = s.get(ValueLayout.JAVA_LONG, 0);
        globalCache.freeAddress(a, size);
        return r;
    }

    @Benchmark
    public long mallocFree() throws Throwable {
        long p = (long) MALLOC.invokeExact(size);
        MemorySegment s = MemorySegment.ofAddress(p).reinterpret(size);
        s.set(ValueLayout.JAVA_LONG, 0, value);
        long r = s.get(ValueLayout.JAVA_LONG, 0);
        FREE.invokeExact(p);
        return r;
    }

    @Benchmark
    public long mallocFreeCritical() throws Throwable {
        long p = (long) MALLOC_CRITICAL.invokeExact(size);
        MemorySegment s = MemorySegment.ofAddress(p).reinterpret(size);
        s.set(ValueLayout.JAVA_LONG, 0, value);
        long r = s.get(ValueLayout.JAVA_LONG, 0);
        FREE_CRITICAL.invokeExact(p);
        return r;
    }

    @Benchmark
    public long arenaConfined() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(size);
            s.set(ValueLayout.JAVA_LONG, 0, value);
            return s.get(ValueLayout.JAVA_LONG, 0);
        }
    }
}
