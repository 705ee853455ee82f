package io.segpool.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.segpool.stats.MemStats;
import io.segpool.stats.MemStatsSource;

import java.util.Objects;
import java.util.function.ToLongFunction;

/**
 * Publishes an allocator's {@link MemStats} figures, and optionally its stack and defer pools',
 * as Micrometer meters tagged {@code allocator=<name>}, the allocator's own
 * {@link MemStatsSource#name()} (the name its JFR events and JMX MBean carry), so several
 * allocators in one registry stay apart:
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
 *       <td>StackSys, StackInuse (with a stack pool)</td></tr>
 *   <tr><td>{@code segpool.defer.sys}, {@code segpool.defer.inuse}</td><td>gauges, bytes</td>
 *       <td>DeferSys, DeferInuse (with a defer pool)</td></tr>
 * </table>
 *
 * <p>The allocator and pools are read as {@link MemStatsSource}s: pass a {@code NativeAllocator}
 * and a {@code StackPool} and a {@code DeferPool}, either pool or neither, with the same rules as
 * JMX's {@code io.segpool.allocator.jmx.SegpoolJmx}. Each meter reads its figures when the
 * registry asks, through the same garbage-free {@code readMemStats}; the binder keeps the
 * allocator and pools reachable for as long as the registry keeps the meters. Once the allocator
 * (or a pool) is closed its meters read {@code NaN}: remove them from the registry when the
 * allocator goes.
 *
 * <pre>{@code
 * new SegpoolMetrics(allocator).bindTo(registry);
 * }</pre>
 */
public final class SegpoolMetrics implements MeterBinder {

    /** The tag key that carries the allocator's name. */
    public static final String ALLOCATOR_TAG = "allocator";

    private final MemStatsSource allocator;
    private final MemStatsSource stacks;
    private final MemStatsSource defers;
    private final Tags tags;

    /**
     * Metrics of {@code allocator} alone, tagged with its {@link MemStatsSource#name()}.
     *
     * @param allocator the allocator whose figures the meters read
     * @throws NullPointerException if {@code allocator} is null
     */
    public SegpoolMetrics(MemStatsSource allocator) {
        this(allocator, null, null, Tags.empty());
    }

    /**
     * Metrics of {@code allocator} and its pools, tagged with its {@link MemStatsSource#name()}.
     *
     * @param allocator the allocator whose figures the meters read
     * @param stacks the stack pool whose StackSys and StackInuse to publish, or null for none
     * @param defers the defer pool whose DeferSys and DeferInuse to publish, or null for none
     * @throws NullPointerException if {@code allocator} is null
     */
    public SegpoolMetrics(MemStatsSource allocator, MemStatsSource stacks, MemStatsSource defers) {
        this(allocator, stacks, defers, Tags.empty());
    }

    /**
     * Metrics of {@code allocator} and its pools, tagged with its {@link MemStatsSource#name()} and
     * {@code tags}.
     *
     * @param allocator the allocator whose figures the meters read
     * @param stacks the stack pool whose StackSys and StackInuse to publish, or null for none
     * @param defers the defer pool whose DeferSys and DeferInuse to publish, or null for none
     * @param tags further tags for every meter
     * @throws NullPointerException if {@code allocator} or {@code tags} is null
     * @throws IllegalArgumentException if {@code tags} has the key {@value #ALLOCATOR_TAG}: the
     *         allocator's own name is that tag's value, as it is the JMX name and JFR events' field
     */
    public SegpoolMetrics(MemStatsSource allocator, MemStatsSource stacks, MemStatsSource defers,
                          Iterable<Tag> tags) {
        this.allocator = Objects.requireNonNull(allocator, "allocator");
        this.stacks = stacks;
        this.defers = defers;
        Tags extra = Tags.of(Objects.requireNonNull(tags, "tags"));
        if (extra.stream().anyMatch(tag -> tag.getKey().equals(ALLOCATOR_TAG))) {
            throw new IllegalArgumentException("the tag " + ALLOCATOR_TAG + " is the allocator's own name ("
                    + allocator.name() + "); name the allocator with AllocatorConfig.withName instead");
        }
        this.tags = Tags.of(ALLOCATOR_TAG, allocator.name()).and(extra);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Reader main = new Reader(allocator);
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
            Reader stack = new Reader(stacks);
            bytes(registry, "segpool.stack.sys", "bytes obtained for stack segments", stack, MemStats::stackSys);
            bytes(registry, "segpool.stack.inuse", "bytes of stack segments and big frame blocks handed out",
                    stack, MemStats::stackInuse);
        }
        if (defers != null) {
            Reader defer = new Reader(defers);
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

        private final MemStatsSource source;
        /** Guarded by this: registries may read meters from several threads. */
        private final MemStats scratch = new MemStats();

        Reader(MemStatsSource source) {
            this.source = source;
        }

        synchronized double read(ToLongFunction<MemStats> figure) {
            try {
                source.readMemStats(scratch);
            } catch (IllegalStateException closed) {
                return Double.NaN;
            }
            return figure.applyAsLong(scratch);
        }
    }
}
