package io.segpool.jmh;

import io.netty.buffer.AdaptiveByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import net.openhft.chronicle.bytes.BytesStore;
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

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * The same operation as {@link AllocatorBenchmark} (allocate, write and read one {@code long},
 * free) on segpool's peers, each in its default configuration and in the one a user tuning it
 * would pick. The configuration is in the method name:
 * <ul>
 *   <li>{@code nettyPooledDefault}: {@code PooledByteBufAllocator.DEFAULT}: no thread cache for
 *   threads that are not Netty's own, leak detection at its default (sampled);
 *   <li>{@code nettyPooledTuned}: a {@code PooledByteBufAllocator} with {@code useCacheForAllThreads},
 *   leak detection off, and {@code Unsafe} buffers allowed ({@code --sun-misc-unsafe-memory-access=allow});
 *   <li>{@code nettyAdaptiveDefault} / {@code nettyAdaptiveTuned}: Netty 4.2's default
 *   {@code AdaptiveByteBufAllocator} (magazines striped by thread), as constructed and with the
 *   tuned fork's flags;
 *   <li>{@code chronicleNative}: Chronicle Bytes {@code nativeStoreWithFixedCapacity} + {@code releaseLast};
 *   <li>{@code directByteBuffer}: {@code ByteBuffer.allocateDirect}, freed by the GC through a
 *   {@code Cleaner}, so its cost moves partly into GC time;
 *   <li>{@code arenaShared}: {@code Arena.ofShared()} allocate + close (its close is a handshake
 *   with every thread).
 * </ul>
 *
 * <p>Run, from the repository root (the standard set does it: see README "Performance"):
 * <pre>
 * ./mvnw -q -pl jmh -am -DskipTests package &amp;&amp; /usr/lib/jvm/temurin-25-jdk-amd64/bin/java \
 *     --enable-native-access=ALL-UNNAMED -jar jmh/target/benchmarks.jar PeersBenchmark \
 *     -prof gc -f 1 -wi 3 -w 1 -i 5 -r 1
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Dchronicle.analytics.disable=true",
        "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
        "--sun-misc-unsafe-memory-access=allow"})
public class PeersBenchmark {

    @Param({"16", "64", "512", "8192"})
    int size;

    /** The value written; a field, so the JIT cannot treat it as a constant. */
    long value = 0x5EC9_9001L;

    /** Built per trial so that each fork's flags (leak detection, Unsafe) apply. */
    PooledByteBufAllocator pooledTuned;
    AdaptiveByteBufAllocator adaptive;

    @Setup(Level.Trial)
    public void setUp() {
        pooledTuned = new PooledByteBufAllocator(true, PooledByteBufAllocator.defaultNumHeapArena(),
                PooledByteBufAllocator.defaultNumDirectArena(), PooledByteBufAllocator.defaultPageSize(),
                PooledByteBufAllocator.defaultMaxOrder(), PooledByteBufAllocator.defaultSmallCacheSize(),
                PooledByteBufAllocator.defaultNormalCacheSize(), true);
        adaptive = new AdaptiveByteBufAllocator();
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
    public long nettyPooledDefault() {
        return writeRead(PooledByteBufAllocator.DEFAULT.directBuffer(size));
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Dio.netty.leakDetection.level=disabled",
            "--sun-misc-unsafe-memory-access=allow"})
    public long nettyPooledTuned() {
        return writeRead(pooledTuned.directBuffer(size));
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
    public long nettyAdaptiveDefault() {
        return writeRead(adaptive.directBuffer(size));
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Dio.netty.leakDetection.level=disabled",
            "--sun-misc-unsafe-memory-access=allow"})
    public long nettyAdaptiveTuned() {
        return writeRead(adaptive.directBuffer(size));
    }

    private long writeRead(ByteBuf buffer) {
        buffer.setLong(0, value);
        long r = buffer.getLong(0);
        buffer.release();
        return r;
    }

    @Benchmark
    public long chronicleNative() {
        BytesStore<?, Void> store = BytesStore.nativeStoreWithFixedCapacity(size);
        store.writeLong(0, value);
        long r = store.readLong(0);
        store.releaseLast();
        return r;
    }

    @Benchmark
    public long directByteBuffer() {
        ByteBuffer buffer = ByteBuffer.allocateDirect(size);
        buffer.putLong(0, value);
        return buffer.getLong(0);
    }

    @Benchmark
    public long arenaShared() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment s = arena.allocate(size);
            s.set(ValueLayout.JAVA_LONG, 0, value);
            return s.get(ValueLayout.JAVA_LONG, 0);
        }
    }
}
