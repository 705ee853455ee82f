package io.segpool.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.segpool.allocator.NativeAllocator;
import io.segpool.pools.DeferPool;
import io.segpool.pools.StackPool;
import io.segpool.stats.MemStats;

import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

/**
 * Publishes an allocator's {@link MemStats} figures, and optionally its stack and defer pools',
 * as Micrometer meters tagged {@code allocator=<name>}, so several allocators in one registry stay
 * apart:
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>meter</th><th>type</th><th>MemStats figure</th></tr>
 *   <tr><td>{@code segpool.memory.sys}</td><td>gauge, bytes</td><td>Sys</td></tr>
 *   <tr><td>{@code segpool.memory.inuse}</td><td>gauge, bytes</td><td>Inuse</td></tr>
 *   <tr><td>{@code segpool.memory.cached}</td><td>gauge, bytes</td><td>Cached</td></tr>
 *   <tr><td>{@code segpool.memory.central}</td><td>gauge, bytes</td><td>Central</td></tr>
 *   <tr><td>{@code segpool.memory.released}</td><td>gauge, bytes</td><td>Released</td></tr>
 *   <tr><td>{@code segpool.mallocs}</td><td>function counter</td><td>Mallocs</td></tr>
 *   <tr><td>{@code segpool.frees}</td><td>function counter</td><td>Frees</td></tr>
 *   <tr><td>{@code segpool.thread.caches}</td><td>gauge</td><td>ThreadCaches</td></tr>
 *   <tr><td>{@code segpool.stack.sys}, {@code segpool.stack.inuse}</td><td>gauges, bytes</td>
 *       <td>StackSys, StackInuse (with a {@link StackPool})</td></tr>
 *   <tr><td>{@code segpool.defer.sys}, {@code segpool.defer.inuse}</td><td>gauges, bytes</td>
 *       <td>DeferSys, DeferInuse (with a {@link DeferPool})</td></tr>
 * </table>
 *
 * <p>Each meter reads its figures when the registry asks, through the same garbage-free
 * {@code readMemStats} the allocator offers; the binder keeps the allocator and pools reachable
 * for as long as the registry keeps the meters. Once the allocator (or a pool) is closed its
 * meters read {@code NaN}: remove them from the registry when the allocator goes.
 *
 * <pre>{@code
 * new SegpoolMetrics("orders", allocator).bindTo(registry);
 * }</pre>
 */
public final class SegpoolMetrics implements MeterBinder {

    /** The tag key that carries the allocator's name. */
    public static final String ALLOCATOR_TAG = "allocator";

    private final NativeAllocator allocator;
    private final StackPool stacks;
    private final DeferPool defers;
    private final Tags tags;

    /**
     * Metrics of {@code allocator} alone, tagged with its {@link NativeAllocator#name()}.
     *
     * @param allocator the allocator whose figures the meters read
     */
    public SegpoolMetrics(NativeAllocator allocator) {
        this(allocator.name(), allocator, null, null, Tags.empty());
    }

    /**
     * Metrics of {@code allocator} and its pools, tagged with its {@link NativeAllocator#name()}.
     *
     * @param allocator the allocator whose figures the meters read
     * @param stacks the stack pool whose StackSys and StackInuse to publish, or null for none
     * @param defers the defer pool whose DeferSys and DeferInuse to publish, or null for none
     */
    public SegpoolMetrics(NativeAllocator allocator, StackPool stacks, DeferPool defers) {
        this(allocator.name(), allocator, stacks, defers, Tags.empty());
    }

    /**
     * Metrics of {@code allocator} alone, tagged {@code allocator=name}.
     *
     * @param name the allocator's name, the value of the {@value #ALLOCATOR_TAG} tag
     * @param allocator the allocator whose figures the meters read
     */
    public SegpoolMetrics(String name, NativeAllocator allocator) {
        this(name, allocator, null, null, Tags.empty());
    }

    /**
     * Metrics of {@code allocator} and its pools, tagged {@code allocator=name} and {@code tags}.
     *
     * @param name the allocator's name, the value of the {@value #ALLOCATOR_TAG} tag
     * @param allocator the allocator whose figures the meters read
     * @param stacks the stack pool whose StackSys and StackInuse to publish, or null for none
     * @param defers the defer pool whose DeferSys and DeferInuse to publish, or null for none
     * @param tags further tags for every meter
     */
    public SegpoolMetrics(String name, NativeAllocator allocator, StackPool stacks, DeferPool defers,
                          Iterable<Tag> tags) {
        this.allocator = Objects.requireNonNull(allocator, "allocator");
        this.stacks = stacks;
        this.defers = defers;
        this.tags = Tags.of(ALLOCATOR_TAG, Objects.requireNonNull(name, "name")).and(tags);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Reader main = new Reader(allocator::readMemStats);
        bytes(registry, "segpool.memory.sys", "bytes obtained from the OS, mapped and not released",
                main, MemStats::sys);
        bytes(registry, "segpool.memory.inuse", "bytes of blocks handed out", main, MemStats::inuse);
        bytes(registry, "segpool.memory.cached", "bytes of free blocks in thread caches", main, MemStats::cached);
        bytes(registry, "segpool.memory.central", "bytes of free blocks on central stacks, not carved yet, or free large blocks kept for reuse",
                main, MemStats::central);
        bytes(registry, "segpool.memory.released", "bytes given back to the OS and still mapped",
                main, MemStats::released);
        // A function counter holds its object weakly (its builder has no strongReference): these
        // share the reader that the gauges above hold strongly, so it lives as long as they do.
        FunctionCounter.builder("segpool.mallocs", main, r -> r.read(MemStats::mallocs))
                .description("blocks allocated").tags(tags).register(registry);
        FunctionCounter.builder("segpool.frees", main, r -> r.read(MemStats::frees))
                .description("blocks freed").tags(tags).register(registry);
        Gauge.builder("segpool.thread.caches", main, r -> r.read(MemStats::threadCaches))
                .description("thread caches the allocator keeps").tags(tags).strongReference(true).register(registry);
        if (stacks != null) {
            Reader stack = new Reader(stacks::readMemStats);
            bytes(registry, "segpool.stack.sys", "bytes obtained for stack segments", stack, MemStats::stackSys);
            bytes(registry, "segpool.stack.inuse", "bytes of stack segments and big frame blocks handed out",
                    stack, MemStats::stackInuse);
        }
        if (defers != null) {
            Reader defer = new Reader(defers::readMemStats);
            bytes(registry, "segpool.defer.sys", "bytes obtained for defer blocks", defer, MemStats::deferSys);
            bytes(registry, "segpool.defer.inuse", "bytes of defer blocks in use", defer, MemStats::deferInuse);
        }
    }

    private void bytes(MeterRegistry registry, String name, String description, Reader reader,
                       ToLongFunction<MemStats> figure) {
        Gauge.builder(name, reader, r -> r.read(figure)).description(description).baseUnit(BaseUnits.BYTES)
                .tags(tags).strongReference(true).register(registry);
    }

    /** Fills one scratch MemStats from one source per read; a closed source reads NaN. */
    private static final class Reader {

        private final Consumer<MemStats> source;
        /** Guarded by this: registries may read meters from several threads. */
        private final MemStats scratch = new MemStats();

        Reader(Consumer<MemStats> source) {
            this.source = source;
        }

        synchronized double read(ToLongFunction<MemStats> figure) {
            try {
                source.accept(scratch);
            } catch (IllegalStateException closed) {
                return Double.NaN;
            }
            return figure.applyAsLong(scratch);
        }
    }
}
