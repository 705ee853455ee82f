package io.segpool.allocator.jmx;

import io.segpool.allocator.AllocatorConfig;
import io.segpool.allocator.NativeAllocator;
import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;

import javax.management.MBeanServer;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * JMX for an application that uses the allocator alone: everything it needs is in the allocator's
 * module, named after the allocator, with no pool figures.
 */
class SegpoolJmxTest {

    private static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();

    @Test
    void anAllocatorAloneHasNoPoolFigures() {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            MemorySegment block = allocator.allocate(100);
            SegpoolJmx jmx = new SegpoolJmx(allocator);
            MemStatsTotals totals = jmx.getTotals();
            assertEquals(NativeAllocator.blockSize(100), totals.inuse(), "one block");
            assertEquals(0, totals.stackSys() + totals.stackInuse() + totals.deferSys() + totals.deferInuse());
            assertEquals(SegpoolJmx.objectName(allocator.name()), jmx.objectName());
            assertEquals(allocator.name(), jmx.name());
            allocator.free(block);
        }
        assertThrows(NullPointerException.class, () -> new SegpoolJmx(null));
        assertThrows(NullPointerException.class, () -> new SegpoolJmx(null, null, null));
    }

    @Test
    void registeredUnderTheAllocatorsNameAndReadLikeReadMemStats() throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withName("jmx-alone"))) {
            long block = allocator.allocateAddress(5000);
            SegpoolJmx jmx = new SegpoolJmx(allocator);
            try (SegpoolJmx.Registration registration = jmx.register()) {
                assertEquals("io.segpool:type=MemStats,name=jmx-alone", registration.name().toString());
                MemStats direct = new MemStats();
                allocator.readMemStats(direct);
                assertEquals(direct.inuse(), SERVER.getAttribute(registration.name(), "Inuse"));
                assertEquals(direct.mallocs(), SERVER.getAttribute(registration.name(), "Mallocs"));
                assertEquals(0L, SERVER.getAttribute(registration.name(), "StackSys"));
                MemStats viaJmx = new MemStats();
                jmx.readMemStats(viaJmx);
                assertEquals(direct.inuse(), viaJmx.inuse());
                assertEquals(direct.classCount(), viaJmx.classCount(), "every field, the class rows included");
            }
            assertFalse(SERVER.isRegistered(SegpoolJmx.objectName("jmx-alone")));
            allocator.freeAddress(block, 5000);
        }
    }

    @Test
    void aClosedAllocatorsReadsThrowAndABadNameIsRefused() {
        NativeAllocator allocator = NativeAllocator.create();
        SegpoolJmx jmx = new SegpoolJmx(allocator);
        allocator.close();
        assertThrows(IllegalStateException.class, jmx::getSys);
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> SegpoolJmx.objectName("a=b"));
        assertTrue(bad.getMessage().contains("a=b"), bad.getMessage());
    }
}
