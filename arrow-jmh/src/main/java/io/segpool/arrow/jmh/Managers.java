package io.segpool.arrow.jmh;

import io.segpool.arrow.SegpoolArrow;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.memory.unsafe.UnsafeAllocationManager;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;

import java.nio.charset.StandardCharsets;

/**
 * The root allocator of each manager the benchmarks compare, and the batch they all build:
 * an int and a 16-byte string column, every row set. One place, so that the batch, IPC and
 * hand-off benchmarks measure the same batch on the same roots. Arrow's Netty manager is not
 * among them: its Netty patch pins a Netty older than 4.2 and does not start on Java 25 without
 * Unsafe access to Netty's internals.
 */
final class Managers {

    static final byte[] TEXT = "segpool-arrow-16".getBytes(StandardCharsets.US_ASCII);

    private Managers() {
    }

    /** A root on one manager, and segpool's factory when it is segpool's; close both with {@link #close}. */
    record Root(BufferAllocator allocator, SegpoolArrow segpool) implements AutoCloseable {
        @Override
        public void close() {
            allocator.close();
            if (segpool != null) {
                segpool.close();
            }
        }
    }

    /**
     * Opens a root on {@code manager}.
     *
     * @param manager {@code segpool} or {@code unsafe}
     * @return the root, unlimited
     */
    static Root open(String manager) {
        return switch (manager) {
            case "segpool" -> {
                SegpoolArrow memory = SegpoolArrow.create();
                yield new Root(memory.newRootAllocator(Long.MAX_VALUE), memory);
            }
            case "unsafe" -> new Root(new RootAllocator(RootAllocator.configBuilder()
                    .allocationManagerFactory(UnsafeAllocationManager.FACTORY).build()), null);
            default -> throw new IllegalArgumentException("manager " + manager + ": segpool or unsafe");
        };
    }

    /**
     * Builds one batch of {@code rows} rows, sized up front, every row set: id {@code i}, name
     * {@link #TEXT}.
     *
     * @param root where its buffers come from
     * @param rows rows to set
     * @return the batch; the caller closes it
     */
    static VectorSchemaRoot build(BufferAllocator root, int rows) {
        IntVector ids = new IntVector("id", root);
        VarCharVector names = new VarCharVector("name", root);
        VectorSchemaRoot batch = VectorSchemaRoot.of(ids, names);
        ids.allocateNew(rows);
        names.allocateNew((long) rows * TEXT.length, rows);
        for (int i = 0; i < rows; i++) {
            ids.set(i, i);
            names.set(i, TEXT);
        }
        batch.setRowCount(rows);
        return batch;
    }

    /**
     * Checks that {@code batch} holds what {@link #build} put in, every row.
     *
     * @param batch the batch to check
     * @param rows the rows it must have
     * @throws IllegalStateException at the first difference
     */
    static void check(VectorSchemaRoot batch, int rows) {
        if (batch.getRowCount() != rows) {
            throw new IllegalStateException(batch.getRowCount() + " rows, expected " + rows);
        }
        IntVector ids = (IntVector) batch.getVector("id");
        VarCharVector names = (VarCharVector) batch.getVector("name");
        for (int i = 0; i < rows; i++) {
            if (ids.get(i) != i || !java.util.Arrays.equals(names.get(i), TEXT)) {
                throw new IllegalStateException("row " + i + " differs: " + ids.get(i) + ", " + names.getObject(i));
            }
        }
    }
}
