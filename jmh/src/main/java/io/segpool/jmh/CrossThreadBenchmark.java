package io.segpool.jmh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.segpool.allocator.NativeAllocator;
import io.segpool.testsupport.SpscLongQueue;
import org.jctools.queues.SpscArrayQueue;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.Control;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;

/**
 * The trading pipeline's pattern, the Go "bound defer pools" commit's: one thread allocates a block, writes it and hands it
 * to another through a single-producer single-consumer queue (addresses through the tests' padded
 * {@link SpscLongQueue}, Netty's buffer objects through JCTools' {@link SpscArrayQueue}); that
 * thread reads it and frees it.
 * Each group is one producer and one consumer; a group's score is ns per transfer (both methods
 * report about the same, as each waits for the other). {@code bare} passes a number with no
 * allocator at all: the hand-off's own cost, the baseline the others add to.
 *
 * <p>Run, from the repository root:
 * <pre>
 * ./mvnw -q -pl jmh -am -DskipTests package &amp;&amp; /usr/lib/jvm/temurin-25-jdk-amd64/bin/java \
 *     --enable-native-access=ALL-UNNAMED -jar jmh/target/benchmarks.jar CrossThreadBenchmark \
 *     -prof gc -f 1 -wi 3 -w 1 -i 5 -r 1
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Dio.netty.leakDetection.level=disabled",
        "--sun-misc-unsafe-memory-access=allow"})
public class CrossThreadBenchmark {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle MALLOC = LINKER.downcallHandle(LINKER.defaultLookup().find("malloc").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG), Linker.Option.critical(false));
    private static final MethodHandle FREE = LINKER.downcallHandle(LINKER.defaultLookup().find("free").orElseThrow(),
            FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG), Linker.Option.critical(false));

    /** One hand-off per group, with the allocators both of its threads use. */
    @State(Scope.Group)
    public static class Pipe {
        @Param({"64", "8192"})
        long size;

        /** Addresses (or, for {@code bare}, counter values) from producer to consumer. */
        final SpscLongQueue queue = new SpscLongQueue(1024);
        /** Netty's buffers are objects: they pass through JCTools' queue of the same capacity. */
        final SpscArrayQueue<ByteBuf> buffers = new SpscArrayQueue<>(1024);
        NativeAllocator segpool;
        PooledByteBufAllocator netty;
        long counter;
        /** Which group this is, so the tear-down knows how to free what the queue still holds. */
        String group;

        @Setup(Level.Trial)
        public void open(BenchmarkParams params) {
            group = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
            segpool = NativeAllocator.create();
            netty = new PooledByteBufAllocator(true, PooledByteBufAllocator.defaultNumHeapArena(),
                    PooledByteBufAllocator.defaultNumDirectArena(), PooledByteBufAllocator.defaultPageSize(),
                    PooledByteBufAllocator.defaultMaxOrder(), PooledByteBufAllocator.defaultSmallCacheSize(),
                    PooledByteBufAllocator.defaultNormalCacheSize(), true);
        }

        /** Frees what is left in the queues when the measurement stopped, then closes. */
        @TearDown(Level.Trial)
        public void close() throws Throwable {
            for (long address; (address = queue.poll()) != 0; ) {
                switch (group) {
                    case "segpool" -> segpool.freeAddress(address, size);
                    case "malloc" -> FREE.invokeExact(address);
                    default -> { } // bare: counter values, nothing to free
                }
            }
            for (ByteBuf buffer; (buffer = buffers.poll()) != null; ) {
                buffer.release();
            }
            segpool.close();
        }

        void put(long value, Control control) {
            while (!queue.offer(value)) {
                if (control.stopMeasurement) {
                    return; // left to the tear-down
                }
                Thread.onSpinWait();
            }
        }

        long take(Control control) {
            long value;
            while ((value = queue.poll()) == 0) {
                if (control.stopMeasurement) {
                    return 0;
                }
                Thread.onSpinWait();
            }
            return value;
        }

        void putBuffer(ByteBuf buffer, Control control) {
            while (!buffers.offer(buffer)) {
                if (control.stopMeasurement) {
                    return; // left to the tear-down
                }
                Thread.onSpinWait();
            }
        }

        ByteBuf takeBuffer(Control control) {
            ByteBuf buffer;
            while ((buffer = buffers.poll()) == null) {
                if (control.stopMeasurement) {
                    return null;
                }
                Thread.onSpinWait();
            }
            return buffer;
        }
    }

    @Benchmark @Group("bare") @GroupThreads(1)
    public void bareProduce(Pipe pipe, Control control) {
        pipe.put(++pipe.counter, control);
    }

    @Benchmark @Group("bare") @GroupThreads(1)
    public long bareConsume(Pipe pipe, Control control) {
        return pipe.take(control);
    }

    @Benchmark @Group("segpool") @GroupThreads(1)
    public void segpoolProduce(Pipe pipe, Control control) {
        long address = pipe.segpool.allocateAddress(pipe.size);
        pipe.segpool.segment(address, pipe.size).set(ValueLayout.JAVA_LONG, 0, address);
        pipe.put(address, control);
    }

    @Benchmark @Group("segpool") @GroupThreads(1)
    public long segpoolConsume(Pipe pipe, Control control) {
        long address = pipe.take(control);
        if (address == 0) {
            return 0;
        }
        long seen = pipe.segpool.segment(address, pipe.size).get(ValueLayout.JAVA_LONG, 0);
        pipe.segpool.freeAddress(address, pipe.size);
        return seen;
    }

    @Benchmark @Group("malloc") @GroupThreads(1)
    public void mallocProduce(Pipe pipe, Control control) throws Throwable {
        long address = (long) MALLOC.invokeExact(pipe.size);
        MemorySegment.ofAddress(address).reinterpret(pipe.size).set(ValueLayout.JAVA_LONG, 0, address);
        pipe.put(address, control);
    }

    @Benchmark @Group("malloc") @GroupThreads(1)
    public long mallocConsume(Pipe pipe, Control control) throws Throwable {
        long address = pipe.take(control);
        if (address == 0) {
            return 0;
        }
        long seen = MemorySegment.ofAddress(address).reinterpret(pipe.size).get(ValueLayout.JAVA_LONG, 0);
        FREE.invokeExact(address);
        return seen;
    }

    @Benchmark @Group("nettyPooledTuned") @GroupThreads(1)
    public void nettyProduce(Pipe pipe, Control control) {
        ByteBuf buffer = pipe.netty.directBuffer((int) pipe.size);
        buffer.setLong(0, ++pipe.counter);
        pipe.putBuffer(buffer, control);
    }

    @Benchmark @Group("nettyPooledTuned") @GroupThreads(1)
    public long nettyConsume(Pipe pipe, Control control) {
        ByteBuf buffer = pipe.takeBuffer(control);
        if (buffer == null) {
            return 0;
        }
        long seen = buffer.getLong(0);
        buffer.release();
        return seen;
    }
}
