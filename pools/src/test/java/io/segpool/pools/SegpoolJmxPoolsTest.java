package io.segpool.pools;

import io.segpool.allocator.AllocatorConfig;
import io.segpool.allocator.NativeAllocator;
import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;

import javax.management.JMX;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SegpoolStats over JMX: one MXBean per allocator, named after it, with the whole snapshot in one attribute. */
class SegpoolStatsTest {

    private static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();

    @Test
    void twoAllocatorsRegisterSideBySideUnderTheirNamesAndCloseUnregisters() throws Exception {
        try (NativeAllocator orders = NativeAllocator.create(AllocatorConfig.defaults().withName("jmx-orders"));
             NativeAllocator index = NativeAllocator.create(AllocatorConfig.defaults().withName("jmx-index"));
             StackPool stacks = StackPool.create(); DeferPool defers = DeferPool.create()) {
            long order = orders.allocateAddress(1000);
            long entry = index.allocateAddress(64);
            SegpoolStats ordersStats = new SegpoolStats(orders, stacks, defers);
            SegpoolStats indexStats = new SegpoolStats(index);
            ObjectName ordersName = new ObjectName("io.segpool:type=MemStats,name=jmx-orders");
            ObjectName indexName = new ObjectName("io.segpool:type=MemStats,name=jmx-index");
            assertEquals(ordersName, ordersStats.objectName());
            SegpoolStats.Registration first = ordersStats.register();
            try (SegpoolStats.Registration second = indexStats.register()) {
                assertEquals(indexName, second.name());
                assertTrue(SERVER.isRegistered(ordersName) && SERVER.isRegistered(indexName));
                assertTrue(SERVER.queryNames(new ObjectName("io.segpool:type=MemStats,*"), null)
                        .containsAll(Set.of(ordersName, indexName)));
                assertEquals(NativeAllocator.blockSize(1000), SERVER.getAttribute(ordersName, "Inuse"),
                        "the orders allocator holds its one block");
                assertEquals(64L, SERVER.getAttribute(indexName, "Inuse"), "the index allocator holds its one 64 B block");

                IllegalStateException taken = assertThrows(IllegalStateException.class,
                        () -> new SegpoolStats(index).register());
                assertTrue(taken.getMessage().contains("name=jmx-index"), taken.getMessage());
            }
            assertFalse(SERVER.isRegistered(indexName), "closing the registration unregisters");
            assertTrue(SERVER.isRegistered(ordersName), "the other stays");
            first.close();
            first.close(); // again: nothing
            assertFalse(SERVER.isRegistered(ordersName));
            orders.freeAddress(order, 1000);
            index.freeAddress(entry, 64);
        }
    }

    @Test
    void theSnapshotAttributeIsTheWholeMemStatsInOneCompositeData() throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withName("jmx-snapshot"));
             StackPool stacks = StackPool.create(); DeferPool defers = DeferPool.create();
             SegmentedStack stack = stacks.newStack()) {
            long block = allocator.allocateAddress(3000);
            Frame frame = stack.push();
            frame.allocate(5000);
            int handler = defers.register(args -> { });
            DeferScope scope = defers.newScope();
            scope.defer(handler, 1L);
            SegpoolStats stats = new SegpoolStats(allocator, stacks, defers);
            try (SegpoolStats.Registration registration = stats.register()) {
                MemStats direct = new MemStats();
                stats.readMemStats(direct);
                assertTrue(direct.sys() > 0 && direct.inuse() >= 3000 && direct.stackInuse() > 0
                        && direct.deferInuse() > 0 && direct.mallocs() == 1, direct.toString());

                CompositeData data = (CompositeData) SERVER.getAttribute(registration.name(), "Snapshot");
                assertEquals(Set.of("sys", "inuse", "cached", "central", "released", "mallocs", "frees", "threadCaches",
                        "stackSys", "stackInuse", "deferSys", "deferInuse"), data.getCompositeType().keySet());
                assertEquals(direct.sys(), data.get("sys"));
                assertEquals(direct.inuse(), data.get("inuse"));
                assertEquals(direct.cached(), data.get("cached"));
                assertEquals(direct.central(), data.get("central"));
                assertEquals(direct.released(), data.get("released"));
                assertEquals(direct.mallocs(), data.get("mallocs"));
                assertEquals(direct.frees(), data.get("frees"));
                assertEquals(direct.threadCaches(), data.get("threadCaches"));
                assertEquals(direct.stackSys(), data.get("stackSys"));
                assertEquals(direct.stackInuse(), data.get("stackInuse"));
                assertEquals(direct.deferSys(), data.get("deferSys"));
                assertEquals(direct.deferInuse(), data.get("deferInuse"));

                MemStatsMXBean proxy = JMX.newMXBeanProxy(SERVER, registration.name(), MemStatsMXBean.class);
                assertEquals(MemStatsSnapshot.of(direct), proxy.getSnapshot(), "rebuilt as the record by a proxy");
            }
            scope.close();
            frame.close();
            allocator.freeAddress(block, 3000);
        }
    }

    @Test
    void anAllocatorAloneHasNoPoolFigures() {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            MemorySegment block = allocator.allocate(100);
            SegpoolStats stats = new SegpoolStats(allocator);
            MemStatsSnapshot snapshot = stats.getSnapshot();
            assertEquals(NativeAllocator.blockSize(100), snapshot.inuse(), "one block");
            assertEquals(0, snapshot.stackSys() + snapshot.stackInuse() + snapshot.deferSys() + snapshot.deferInuse());
            assertEquals(SegpoolStats.objectName(allocator.name()), stats.objectName());
            allocator.free(block);
        }
        assertThrows(NullPointerException.class, () -> new SegpoolStats(null));
    }
}
