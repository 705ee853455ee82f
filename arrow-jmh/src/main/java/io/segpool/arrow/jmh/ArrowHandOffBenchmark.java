package io.segpool.arrow.jmh;

import org.apache.arrow.vector.VectorSchemaRoot;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
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
import org.openjdk.jmh.infra.Control;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One thread builds batches, another closes them: the shape of a reader thread feeding a query
 * thread. A JMH group of two real threads shares a bounded {@link ArrayBlockingQueue}; {@code build}
 * allocates and fills a batch and hands it over, {@code close} takes one and closes it, so every
 * buffer is allocated on one thread and freed on the other (for segpool: the builder's rings
 * refill from the central stacks that the closer's rings spill into). In steady state the two
 * rates are equal, the slower side's; both are reported. Either side gives up waiting when JMH
 * stops the measurement, and the iteration's teardown closes what is left in the queue.
 */
@State(Scope.Group)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ArrowHandOffBenchmark {

    /** Batches the queue holds at most. */
    static final int QUEUE = 8;

    /** The manager: {@code segpool} or {@code unsafe}. */
    @Param({"segpool", "unsafe"})
    public String manager;

    /** Rows per batch. */
    @Param({"1024", "65536"})
    public int rows;

    private Managers.Root root;
    private final BlockingQueue<VectorSchemaRoot> queue = new ArrayBlockingQueue<>(QUEUE);

    /** Opens the manager's root. */
    @Setup(Level.Trial)
    public void setUp() {
        root = Managers.open(manager);
    }

    /** Closes the batches left in the queue when an iteration stops, so none outlives it. */
    @TearDown(Level.Iteration)
    public void drain() {
        for (VectorSchemaRoot batch; (batch = queue.poll()) != null; ) {
            batch.close();
        }
    }

    /** Closes the root (it throws if a buffer leaked) and segpool's factory. */
    @TearDown(Level.Trial)
    public void tearDown() {
        root.close();
    }

    /**
     * Builds a batch and hands it to the closing thread, waiting while the queue is full.
     *
     * @param control JMH's, to stop waiting when the measurement ends
     * @throws InterruptedException never in a JMH run
     */
    @Benchmark
    @Group("handOff")
    @GroupThreads(1)
    public void build(Control control) throws InterruptedException {
        VectorSchemaRoot batch = Managers.build(root.allocator(), rows);
        while (!queue.offer(batch, 1, TimeUnit.MILLISECONDS)) {
            if (control.stopMeasurement) {
                batch.close();
                return;
            }
        }
    }

    /**
     * Takes a batch and closes it, waiting while the queue is empty.
     *
     * @param control JMH's, to stop waiting when the measurement ends
     * @return the rows closed, 0 when the measurement ended first
     * @throws InterruptedException never in a JMH run
     */
    @Benchmark
    @Group("handOff")
    @GroupThreads(1)
    public int close(Control control) throws InterruptedException {
        VectorSchemaRoot batch;
        while ((batch = queue.poll(1, TimeUnit.MILLISECONDS)) == null) {
            if (control.stopMeasurement) {
                return 0;
            }
        }
        int n = batch.getRowCount();
        batch.close();
        return n;
    }
}
