package io.segpool.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.segpool.allocator.AllocatorConfig;
import io.segpool.allocator.NativeAllocator;
import io.segpool.pools.DeferPool;
import io.segpool.pools.DeferScope;
import io.segpool.pools.Frame;
import io.segpool.pools.SegmentedStack;
import io.segpool.pools.StackPool;
import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The binder on a real SimpleMeterRegistry against real allocators and pools. */
class SegpoolMetricsTest {

    private static final Set<String> ALLOCATOR_METERS = Set.of("segpool.memory.sys", "segpool.memory.inuse",
            "segpool.memory.cached", "segpool.memory.central", "segpool.memory.released", "segpool.mallocs",
            "segpool.frees", "segpool.thread.caches");

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void allocatorMetersMatchMemStatsAfterKnownAllocations() {
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withName("orders"))) {
            new SegpoolMetrics(allocator).bindTo(registry);
            long[] blocks = new long[100];
            for (int i = 0; i < blocks.length; i++) {
                blocks[i] = allocator.allocateAddress(64);
            }
            for (int i = 0; i < 30; i++) {
                allocator.freeAddress(blocks[i], 64);
            }
            MemStats stats = new MemStats();
            allocator.readMemStats(stats);
            assertEquals(100, stats.mallocs());
            assertEquals(30, stats.frees());
            assertEquals(70 * 64, stats.inuse());

            assertEquals(stats.sys(), gauge("segpool.memory.sys", "orders"));
            assertEquals(70 * 64, gauge("segpool.memory.inuse", "orders"));
            assertEquals(stats.cached(), gauge("segpool.memory.cached", "orders"));
            assertEquals(stats.central(), gauge("segpool.memory.central", "orders"));
            assertEquals(stats.released(), gauge("segpool.memory.released", "orders"));
            assertEquals(stats.threadCaches(), gauge("segpool.thread.caches", "orders"));
            assertEquals(100, counter("segpool.mallocs", "orders"));
            assertEquals(30, counter("segpool.frees", "orders"));

            for (int i = 30; i < blocks.length; i++) {
                allocator.freeAddress(blocks[i], 64);
            }
            assertEquals(0, gauge("segpool.memory.inuse", "orders"), "meters read the figures at each read");
            assertEquals(100, counter("segpool.frees", "orders"));
        }
    }

    @Test
    void metersCarryTheNameTagBytesUnitsAndExtraTags() {
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withName("book"))) {
            new SegpoolMetrics(allocator, null, null, Tags.of("region", "eu")).bindTo(registry);
            Set<String> names = registry.getMeters().stream().map(m -> m.getId().getName()).collect(Collectors.toSet());
            assertEquals(ALLOCATOR_METERS, names, "no pool given: no stack or defer meters");
            for (Meter meter : registry.getMeters()) {
                List<Tag> tags = meter.getId().getTags();
                assertTrue(tags.contains(Tag.of(SegpoolMetrics.ALLOCATOR_TAG, "book")), meter.getId().toString());
                assertTrue(tags.contains(Tag.of("region", "eu")), meter.getId().toString());
                String name = meter.getId().getName();
                boolean bytes = name.startsWith("segpool.memory.");
                assertEquals(bytes ? "bytes" : null, meter.getId().getBaseUnit(), name);
                assertEquals(name.equals("segpool.mallocs") || name.equals("segpool.frees")
                        ? Meter.Type.COUNTER : Meter.Type.GAUGE, meter.getId().getType(), name);
            }
        }
    }

    @Test
    void theAllocatorTagIsTheAllocatorsOwnNameAndCannotBeOverridden() {
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withName("own"))) {
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> new SegpoolMetrics(allocator, null, null, Tags.of(SegpoolMetrics.ALLOCATOR_TAG, "other")));
            assertTrue(refused.getMessage().contains("own"), refused.getMessage());
            assertThrows(NullPointerException.class, () -> new SegpoolMetrics(null));
            assertThrows(NullPointerException.class, () -> new SegpoolMetrics(allocator, null, null, null));
        }
    }

    @Test
    void eitherPoolMayBeLeftOut() {
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withName("half"));
             DeferPool defers = DeferPool.create()) {
            new SegpoolMetrics(allocator, null, defers).bindTo(registry);
            Set<String> names = registry.getMeters().stream().map(m -> m.getId().getName()).collect(Collectors.toSet());
            assertTrue(names.containsAll(Set.of("segpool.defer.sys", "segpool.defer.inuse")), names.toString());
            assertFalse(names.contains("segpool.stack.sys"), "no stack pool: no stack meters");
            MemStats own = new MemStats();
            defers.readMemStats(own);
            assertEquals(own.deferSys(), gauge("segpool.defer.sys", "half"));
        }
    }

    @Test
    void anUnnamedAllocatorIsTaggedWithTheNameItWasGiven() {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            new SegpoolMetrics(allocator).bindTo(registry);
            assertTrue(allocator.name().matches("segpool-[0-9]+"), allocator.name());
            assertEquals(0, gauge("segpool.memory.inuse", allocator.name()));
        }
    }

    @Test
    void aSecondAllocatorRegistersSeparately() {
        try (NativeAllocator first = NativeAllocator.create(AllocatorConfig.defaults().withName("first"));
             NativeAllocator second = NativeAllocator.create(AllocatorConfig.defaults().withName("second"))) {
            new SegpoolMetrics(first).bindTo(registry);
            new SegpoolMetrics(second).bindTo(registry);
            long a = first.allocateAddress(256);
            long b = second.allocateAddress(1024);
            long c = second.allocateAddress(1024);
            assertEquals(2, registry.find("segpool.memory.inuse").gauges().size());
            assertEquals(256, gauge("segpool.memory.inuse", "first"));
            assertEquals(2048, gauge("segpool.memory.inuse", "second"));
            assertEquals(1, counter("segpool.mallocs", "first"));
            assertEquals(2, counter("segpool.mallocs", "second"));
            first.freeAddress(a, 256);
            second.freeAddress(b, 1024);
            second.freeAddress(c, 1024);
        }
    }

    @Test
    void poolMetersMatchThePools() {
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withName("engine"));
             StackPool stacks = StackPool.create();
             DeferPool defers = DeferPool.create();
             SegmentedStack stack = stacks.newStack()) {
            new SegpoolMetrics(allocator, stacks, defers).bindTo(registry);
            int noop = defers.register(args -> { });
            try (Frame frame = stack.push(); DeferScope scope = defers.newScope()) {
                frame.allocate(3000);
                scope.defer(noop, 7L);
                scope.defer(noop, 8L);
                MemStats stats = new MemStats();
                stacks.readPoolStats(stats);
                defers.readPoolStats(stats);
                assertTrue(stats.stackInuse() > 0 && stats.deferInuse() > 0);
                assertEquals(stats.stackSys(), gauge("segpool.stack.sys", "engine"));
                assertEquals(stats.stackInuse(), gauge("segpool.stack.inuse", "engine"));
                assertEquals(stats.deferSys(), gauge("segpool.defer.sys", "engine"));
                assertEquals(stats.deferInuse(), gauge("segpool.defer.inuse", "engine"));
                assertEquals("bytes", registry.get("segpool.stack.inuse").gauge().getId().getBaseUnit());
            }
        }
    }

    @Test
    void aClosedAllocatorReadsNaN() {
        NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withName("gone"));
        new SegpoolMetrics(allocator).bindTo(registry);
        allocator.close();
        assertTrue(Double.isNaN(gauge("segpool.memory.sys", "gone")));
        assertTrue(Double.isNaN(counter("segpool.mallocs", "gone")));
        assertNull(registry.find("segpool.memory.sys").tag(SegpoolMetrics.ALLOCATOR_TAG, "other").gauge());
    }

    private double gauge(String name, String allocator) {
        Gauge gauge = registry.get(name).tag(SegpoolMetrics.ALLOCATOR_TAG, allocator).gauge();
        return gauge.value();
    }

    private double counter(String name, String allocator) {
        FunctionCounter counter = registry.get(name).tag(SegpoolMetrics.ALLOCATOR_TAG, allocator).functionCounter();
        return counter.count();
    }
}
