package io.segpool.arrow.jmh;

import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
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

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.util.concurrent.TimeUnit;

/**
 * An Arrow IPC stream round trip per call: {@link ArrowStreamWriter} writes one batch (schema,
 * record batch, end of stream) to an in-memory byte channel, and {@link ArrowStreamReader} reads
 * it back into new vectors from the same manager, which are then closed. The write only reads the
 * batch's buffers; the read allocates the message body as one buffer, Arrow-rounded to a power
 * of two (2 MiB at 64K rows, past segpool's largest class: a span of its own), and slices the
 * vectors out of it. Setup writes and reads once and checks every row read back.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ArrowIpcBenchmark {

    /** The manager: {@code segpool} or {@code unsafe}. */
    @Param({"segpool", "unsafe"})
    public String manager;

    /** Rows in the batch. */
    @Param({"1024", "65536"})
    public int rows;

    private Managers.Root root;
    private VectorSchemaRoot batch;
    private final Bytes bytes = new Bytes();

    /** A byte array stream whose buffer is read in place, not copied. */
    private static final class Bytes extends ByteArrayOutputStream {
        ByteArrayInputStream input() {
            return new ByteArrayInputStream(buf, 0, count);
        }
    }

    /** Opens the manager's root, builds the batch to send, and checks one round trip row by row. */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
        root = Managers.open(manager);
        batch = Managers.build(root.allocator(), rows);
        write();
        try (ArrowStreamReader reader = new ArrowStreamReader(Channels.newChannel(bytes.input()), root.allocator())) {
            if (!reader.loadNextBatch()) {
                throw new IllegalStateException("no batch read back");
            }
            Managers.check(reader.getVectorSchemaRoot(), rows);
            if (reader.loadNextBatch()) {
                throw new IllegalStateException("a second batch read back");
            }
        }
    }

    /** Closes the batch and the root (segpool's factory unmaps). */
    @TearDown(Level.Trial)
    public void tearDown() {
        batch.close();
        root.close();
    }

    private void write() throws IOException {
        bytes.reset();
        try (ArrowStreamWriter writer = new ArrowStreamWriter(batch, null, Channels.newChannel(bytes))) {
            writer.start();
            writer.writeBatch();
            writer.end();
        }
    }

    /**
     * Writes the batch and reads it back.
     *
     * @return the rows and the bytes read back, so that neither side is dead code
     * @throws IOException never: the channels are in memory
     */
    @Benchmark
    public long roundTrip() throws IOException {
        write();
        try (ArrowStreamReader reader = new ArrowStreamReader(Channels.newChannel(bytes.input()), root.allocator())) {
            reader.loadNextBatch();
            return reader.getVectorSchemaRoot().getRowCount() + reader.bytesRead();
        }
    }
}
