package io.segpool.arrow.jmh;

import io.segpool.allocator.AllocatorConfig;
import io.segpool.allocator.NativeAllocator;

import org.apache.arrow.memory.ArrowBuf;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;

/**
 * The large classes Arrow's power-of-two buffers land in (256 KiB, 512 KiB, 1 MiB), whose thread
 * rings start at one block each ({@code RING_BYTES} / size, at least one): a lone allocate/free pair
 * stays in the ring; a batch of several buffers of one class went through the class's central
 * stack for every block but one, both ways, until the large rings grew into four slots (within
 * 4 MiB per thread), which keep a batch of four. {@code pair} is the lone pair, {@code four} allocates
 * four blocks of the size and then frees all four (a batch's buffers: validity, data, offsets),
 * per block. {@code impl}: {@code segpool} is the allocator alone ({@code allocate(size, 64)} and
 * {@code free}, as the Arrow adapter calls it), {@code malloc} is libc's through an FFM downcall
 * (what Arrow's Unsafe manager calls underneath), and {@code arrowSegpool} / {@code arrowUnsafe}
 * are the same through Arrow ({@code root.buffer(size)} and {@code close()}), with its ledgers.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class LargeClassBenchmark {

    private static final int FOUR = 4;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle MALLOC = LINKER.downcallHandle(LINKER.defaultLookup().find("malloc").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    private static final MethodHandle FREE = LINKER.downcallHandle(LINKER.defaultLookup().find("free").orElseThrow(),
            FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG));

    /** What allocates: {@code segpool}, {@code malloc}, {@code arrowSegpool} or {@code arrowUnsafe}. */
    @Param({"segpool", "malloc", "arrowSegpool", "arrowUnsafe"})
    public String impl;

    /** Bytes per block. */
    @Param({"262144", "524288", "1048576"})
    public long size;

    private NativeAllocator allocator;
    private Managers.Root root;
    private final MemorySegment[] segments = new MemorySegment[FOUR];
    private final long[] addresses = new long[FOUR];
    private final ArrowBuf[] buffers = new ArrowBuf[FOUR];

    /** Makes the allocator or root of {@link #impl}. */
    @Setup(Level.Trial)
    public void setUp() {
        switch (impl) {
            case "segpool" -> allocator = NativeAllocator.create(AllocatorConfig.defaults().withName("large-class"));
            case "arrowSegpool" -> root = Managers.open("segpool");
            case "arrowUnsafe" -> root = Managers.open("unsafe");
            case "malloc" -> { }
            default -> throw new IllegalArgumentException("impl " + impl);
        }
    }

    /** Closes what {@link #setUp} made. */
    @TearDown(Level.Trial)
    public void tearDown() {
        if (allocator != null) {
            allocator.close();
        }
        if (root != null) {
            root.close();
        }
    }

    /**
     * One block allocated and freed.
     *
     * @return the block's address, so that the pair is not dead code
     * @throws Throwable never: malloc's downcall declares it
     */
    @Benchmark
    public long pair() throws Throwable {
        switch (impl) {
            case "segpool" -> {
                MemorySegment block = allocator.allocate(size, 64);
                allocator.free(block);
                return block.address();
            }
            case "malloc" -> {
                long address = (long) MALLOC.invokeExact(size);
                FREE.invokeExact(address);
                return address;
            }
            default -> {
                ArrowBuf buffer = root.allocator().buffer(size);
                buffer.close();
                return buffer.memoryAddress();
            }
        }
    }

    /**
     * Four blocks allocated, then all four freed in the same order; the score is per block.
     *
     * @return the sum of the addresses
     * @throws Throwable never: malloc's downcall declares it
     */
    @Benchmark
    @OperationsPerInvocation(FOUR)
    public long four() throws Throwable {
        long sum = 0;
        switch (impl) {
            case "segpool" -> {
                for (int i = 0; i < FOUR; i++) {
                    segments[i] = allocator.allocate(size, 64);
                }
                for (int i = 0; i < FOUR; i++) {
                    sum += segments[i].address();
                    allocator.free(segments[i]);
                }
            }
            case "malloc" -> {
                for (int i = 0; i < FOUR; i++) {
                    addresses[i] = (long) MALLOC.invokeExact(size);
                }
                for (int i = 0; i < FOUR; i++) {
                    sum += addresses[i];
                    FREE.invokeExact(addresses[i]);
                }
            }
            default -> {
                for (int i = 0; i < FOUR; i++) {
                    buffers[i] = root.allocator().buffer(size);
                }
                for (int i = 0; i < FOUR; i++) {
                    sum += buffers[i].memoryAddress();
                    buffers[i].close();
                }
            }
        }
        return sum;
    }
}
