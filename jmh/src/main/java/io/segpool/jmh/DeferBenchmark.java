package io.segpool.jmh;

import io.segpool.pools.DeferPool;
import io.segpool.pools.DeferScope;
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

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Seeds 000 and 004's defer benchmarks: what does one defer cost?
 * <ul>
 *   <li>{@code defer}: one defer with an 8-byte argument, then run it ({@code BenchmarkDefer});
 *   <li>{@code deferLock}: lock, defer the unlock, run the defers ({@code BenchmarkDeferLock});
 *   <li>{@code noDeferLock}: lock, unlock: the baseline. {@code deferLock − noDeferLock} is the
 *   cost of a defer with no argument, the figure the Go "optimize defer code" commit cut from 61 to 28 ns.
 * </ul>
 * The scope is held by the benchmark thread and reused with {@link DeferScope#runDeferred()}, as a
 * long-lived worker thread would; {@code -prof gc} shows the allocation per operation.
 *
 * <p>Run, from the repository root:
 * <pre>
 * ./mvnw -q -pl jmh -am -DskipTests package &amp;&amp; /usr/lib/jvm/temurin-25-jdk-amd64/bin/java \
 *     --enable-native-access=ALL-UNNAMED -jar jmh/target/benchmarks.jar DeferBenchmark \
 *     -prof gc -f 1 -wi 3 -w 1 -i 5 -r 1
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class DeferBenchmark {

    private DeferPool pool;
    private DeferScope scope;
    private final ReentrantLock lock = new ReentrantLock();
    private int addId;
    private int unlockId;
    /** What the deferred add has summed; read back so the work is not dead. */
    private long sum;
    /** The argument deferred; a field, so the JIT cannot treat it as a constant. */
    private long argument = 42;

    @Setup(Level.Trial)
    public void open() {
        pool = DeferPool.create();
        addId = pool.register(args -> sum += args.word());
        unlockId = pool.register(args -> lock.unlock());
        scope = pool.newScope();
    }

    @TearDown(Level.Trial)
    public void close() {
        scope.close();
        pool.close();
    }

    @Benchmark
    public long defer() {
        scope.defer(addId, argument);
        scope.runDeferred();
        return sum;
    }

    @Benchmark
    public void deferLock() {
        lock.lock();
        scope.defer(unlockId);
        scope.runDeferred();
    }

    @Benchmark
    public void noDeferLock() {
        lock.lock();
        lock.unlock();
    }
}
