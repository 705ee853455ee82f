package io.segpool.jmh;

import io.netty.buffer.AdaptiveByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.segpool.allocator.AllocatorConfig;
import io.segpool.netty.SegpoolByteBufAllocator;
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
 * Netty {@code ByteBufAllocator}s side by side, in one run: segpool-netty's, Netty's
 * {@code PooledByteBufAllocator} (with a thread cache for every thread, as JMH's threads are not
 * Netty's) and {@code AdaptiveByteBufAllocator}, Netty 4.2's default. One allocator instance is
 * shared by all benchmark threads, as an application shares one.
 * <ul>
 *   <li>{@link #pair}: {@code directBuffer(size)}, write and read a {@code long}, {@code release()};
 *   <li>{@link #grow}: {@code directBuffer(256)}, then 64 writes of 1 KiB, which grow it to 64 KiB
 *   by Netty's doubling, then {@code release()}.
 * </ul>
 * Leak detection is off (the figures of a production setting); Netty runs without
 * {@code sun.misc.Unsafe}, its Java 25 default, and {@code --enable-native-access=ALL-UNNAMED}
 * (which segpool needs) also makes Netty's own direct memory malloc/free rather than
 * {@code ByteBuffer.allocateDirect}. Run with {@code -prof gc} for B/op:
 * <pre>
 * java -jar jmh/target/benchmarks.jar NettyAllocatorBenchmark -prof gc -f 1 -wi 3 -w 1s -i 5 -r 1s -t 1
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Dio.netty.leakDetection.level=disabled"})
public class NettyAllocatorBenchmark {

    /** The allocator under test, one for all threads. */
    @State(Scope.Benchmark)
    public static class Allocators {
        /** {@code segpool-unchecked}: segpool with {@code checkFrees} off, to show what the block-state checks cost. */
        @Param({"segpool", "pooled", "adaptive", "segpool-unchecked"})
        String allocator;

        ByteBufAllocator alloc;

        @Setup(Level.Trial)
        public void setUp() {
            alloc = switch (allocator) {
                case "segpool" -> SegpoolByteBufAllocator.create();
                case "segpool-unchecked" -> SegpoolByteBufAllocator.create(AllocatorConfig.defaults().withCheckFrees(false));
                case "pooled" -> new PooledByteBufAllocator(true, PooledByteBufAllocator.defaultNumHeapArena(),
                        PooledByteBufAllocator.defaultNumDirectArena(), PooledByteBufAllocator.defaultPageSize(),
                        PooledByteBufAllocator.defaultMaxOrder(), PooledByteBufAllocator.defaultSmallCacheSize(),
                        PooledByteBufAllocator.defaultNormalCacheSize(), true);
                case "adaptive" -> new AdaptiveByteBufAllocator();
                default -> throw new IllegalArgumentException(allocator);
            };
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (alloc instanceof SegpoolByteBufAllocator segpool) {
                segpool.close();
            }
        }
    }

    /** The pair's request size. */
    @State(Scope.Thread)
    public static class Sizes {
        @Param({"64", "256", "1024", "4096", "16384", "65536"})
        int size;

        /** The value written; a field, so the JIT cannot treat it as a constant. */
        long value = 0x5EC9_9001L;
    }

    /** What {@link #grow} writes, 1 KiB at a time. */
    @State(Scope.Thread)
    public static class Chunk {
        final byte[] bytes = new byte[1024];
    }

    @Benchmark
    public long pair(Allocators a, Sizes s) {
        ByteBuf buf = a.alloc.directBuffer(s.size);
        buf.setLong(0, s.value);
        long r = buf.getLong(0);
        buf.release();
        return r;
    }

    @Benchmark
    public int grow(Allocators a, Chunk c) {
        ByteBuf buf = a.alloc.directBuffer(256);
        for (int i = 0; i < 64; i++) {
            buf.writeBytes(c.bytes);
        }
        int n = buf.capacity();
        buf.release();
        return n;
    }
}
