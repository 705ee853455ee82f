package io.segpool.arrow.jmh;

import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
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
 * Builds and closes one {@link VectorSchemaRoot} batch of an int and a string column per call,
 * the churn of a reader or query engine, on segpool's manager and on Arrow's Unsafe manager
 * (Arrow's Netty manager is not measured: its Netty patch does not start on Java 25 without
 * Unsafe access to Netty's internals, and pins a Netty older than this project's). Buffers are
 * sized up front (no reallocation), so what differs between the managers is the allocation and
 * free of six buffers per batch: validity, data and offsets, in Arrow's power-of-two sizes.
 * {@code alloc} measures those six buffers alone, with no values written.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ArrowBatchBenchmark {

    /** The manager: {@code segpool} or {@code unsafe}. */
    @Param({"segpool", "unsafe"})
    public String manager;

    /** Rows per batch. */
    @Param({"1024", "65536", "1048576"})
    public int rows;

    private Managers.Root root;

    /** Makes the root allocator of the manager under test. */
    @Setup(Level.Trial)
    public void setUp() {
        root = Managers.open(manager);
    }

    /** Closes the root, and segpool's factory (which unmaps). */
    @TearDown(Level.Trial)
    public void tearDown() {
        root.close();
    }

    /**
     * One batch: allocate, fill every row, close.
     *
     * @return a value read back, so that the writes are not dead
     */
    @Benchmark
    public long buildAndClose() {
        try (VectorSchemaRoot batch = Managers.build(root.allocator(), rows)) {
            IntVector ids = (IntVector) batch.getVector("id");
            VarCharVector names = (VarCharVector) batch.getVector("name");
            return ids.get(rows - 1) + names.getEndOffset(rows - 1);
        }
    }

    /**
     * One batch's buffers only: allocate both vectors at full size and close them.
     *
     * @return the bytes the batch held
     */
    @Benchmark
    public long alloc() {
        IntVector ids = new IntVector("id", root.allocator());
        VarCharVector names = new VarCharVector("name", root.allocator());
        try (VectorSchemaRoot batch = VectorSchemaRoot.of(ids, names)) {
            ids.allocateNew(rows);
            names.allocateNew((long) rows * Managers.TEXT.length, rows);
            return root.allocator().getAllocatedMemory();
        }
    }
}
