package io.segpool.pools;

import io.segpool.allocator.AllocatorConfig;
import io.segpool.allocator.NativeAllocator;
import io.segpool.allocator.jmx.MemStatsMXBean;
import io.segpool.allocator.jmx.MemStatsTotals;
import io.segpool.allocator.jmx.SegpoolJmx;
import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;

import javax.management.JMX;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import java.lang.management.ManagementFactory;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The allocator module's JMX MXBean with the pools: their figures come in through
 * {@code MemStatsSource}, either pool may be left out, and the whole snapshot is one attribute.
 */
class SegpoolJmxPoolsTest {

    private static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();

    @Test
    void twoAllocatorsRegisterSideBySideUnderTheirNamesAndCloseUnregisters() throws Exception {
        try (NativeAllocator orders = NativeAllocator.create(AllocatorConfig.defaults().withName("jmx-orders"));
             NativeAllocator index = NativeAllocator.create(AllocatorConfig.defaults().withName("jmx-index"));
             StackPool stacks = StackPool.create(); DeferPool defers = DeferPool.create()) {
            long order = orders.allocateAddress(1000);
            long entry = index.allocateAddress(64);
            SegpoolJmx ordersStats = new SegpoolJmx(orders, stacks, defers);
            SegpoolJmx indexStats = new SegpoolJmx(index);
            ObjectName ordersName = new ObjectName("io.segpool:type=MemStats,name=jmx-orders");
            ObjectName indexName = new ObjectName("io.segpool:type=MemStats,name=jmx-index");
            assertEquals(ordersName, ordersStats.objectName());
            assertEquals("jmx-orders", ordersStats.name(), "the allocator's own name, not a pool's");
            SegpoolJmx.Registration first = ordersStats.register();
            try (SegpoolJmx.Registration second = indexStats.register()) {
                assertEquals(indexName, second.name());
                assertTrue(SERVER.isRegistered(ordersName) && SERVER.isRegistered(indexName));
                assertTrue(SERVER.queryNames(new ObjectName("io.segpool:type=MemStats,*"), null)
                        .containsAll(Set.of(ordersName, indexName)));
                assertEquals(NativeAllocator.blockSize(1000), SERVER.getAttribute(ordersName, "Inuse"),
                        "the orders allocator holds its one block");
                assertEquals(64L, SERVER.getAttribute(indexName, "Inuse"), "the index allocator holds its one 64 B block");

                IllegalStateException taken = assertThrows(IllegalStateException.class,
                        () -> new SegpoolJmx(index).register());
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
    void theTotalsAttributeIsTheWholeMemStatsInOneCompositeData() throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withName("jmx-snapshot"));
             StackPool stacks = StackPool.create(); DeferPool defers = DeferPool.create();
             SegmentedStack stack = stacks.newStack()) {
            long block = allocator.allocateAddress(3000);
            Frame frame = stack.push();
            frame.allocate(5000);
            int handler = defers.register(args -> { });
            DeferScope scope = defers.newScope();
            scope.defer(handler, 1L);
            SegpoolJmx stats = new SegpoolJmx(allocator, stacks, defers);
            try (SegpoolJmx.Registration registration = stats.register()) {
                MemStats direct = new MemStats();
                stats.readMemStats(direct);
                assertTrue(direct.sys() > 0 && direct.inuse() >= 3000 && direct.stackInuse() > 0
                        && direct.deferInuse() > 0 && direct.mallocs() == 1, direct.toString());

                CompositeData data = (CompositeData) SERVER.getAttribute(registration.name(), "Totals");
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
                assertEquals(MemStatsTotals.of(direct), proxy.getTotals(), "rebuilt as the record by a proxy");
            }
            scope.close();
            frame.close();
            allocator.freeAddress(block, 3000);
        }
    }

    @Test
    void eitherPoolMayBeLeftOutAndThePoolFiguresAreEachPoolsOwn() {
        try (NativeAllocator allocator = NativeAllocator.create(); StackPool stacks = StackPool.create();
             DeferPool defers = DeferPool.create(); SegmentedStack stack = stacks.newStack();
             Frame frame = stack.push(); DeferScope scope = defers.newScope()) {
            frame.allocate(100);
            scope.defer(defers.register(args -> { }), 2L);
            MemStats stackOwn = new MemStats();
            stacks.readMemStats(stackOwn);
            MemStats deferOwn = new MemStats();
            defers.readMemStats(deferOwn);

            MemStatsTotals stacksOnly = new SegpoolJmx(allocator, stacks, null).getTotals();
            assertEquals(stackOwn.stackSys(), stacksOnly.stackSys());
            assertEquals(stackOwn.stackInuse(), stacksOnly.stackInuse());
            assertEquals(0, stacksOnly.deferSys() + stacksOnly.deferInuse(), "no defer pool given");

            MemStatsTotals defersOnly = new SegpoolJmx(allocator, null, defers).getTotals();
            assertEquals(0, defersOnly.stackSys() + defersOnly.stackInuse(), "no stack pool given");
            assertEquals(deferOwn.deferSys(), defersOnly.deferSys());
            assertEquals(deferOwn.deferInuse(), defersOnly.deferInuse());

            MemStatsTotals both = new SegpoolJmx(allocator, stacks, defers).getTotals();
            assertEquals(0, both.inuse(), "the allocator's own figures: the pools' bytes are not in them");
            assertEquals(stackOwn.stackInuse(), both.stackInuse());
            assertEquals(deferOwn.deferInuse(), both.deferInuse());
        }
    }

    @Test
    void aPoolAlonePublishesItsOwnAllocatorUnderThePoolsName() {
        try (StackPool stacks = StackPool.create(StackPool.defaultConfig().withName("jmx-stacks"))) {
            SegpoolJmx jmx = new SegpoolJmx(stacks);
            assertEquals(SegpoolJmx.objectName("jmx-stacks"), jmx.objectName());
            MemStatsTotals totals = jmx.getTotals();
            assertEquals(totals.sys(), totals.stackSys(), "a stack pool's own read fills StackSys");
        }
    }

    @Test
    void aClosedPoolMakesTheReadThrow() {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            StackPool stacks = StackPool.create();
            SegpoolJmx jmx = new SegpoolJmx(allocator, stacks, null);
            stacks.close();
            assertThrows(IllegalStateException.class, jmx::getStackSys);
        }
    }
}
