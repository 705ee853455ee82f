package io.segpool.integration;

import io.segpool.allocator.NativeAllocator;
import io.segpool.allocator.jmx.SegpoolJmx;
import io.segpool.pools.DeferPool;
import io.segpool.pools.StackPool;
import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkloadsTest {

    /** 1e8 operations on 2 threads in CI ({@code -Dsegpool.soak.operations=N} for another count). */
    @Test
    void soakLosesAndDuplicatesNothingAndConservesEveryByte() throws Exception {
        long operations = Long.getLong("segpool.soak.operations", 100_000_000);
        try (NativeAllocator allocator = NativeAllocator.create(); StackPool stacks = StackPool.create();
             DeferPool defers = DeferPool.create()) {
            Soak.Result result = Soak.run(allocator, stacks, defers, new Soak.Config(2, 0, operations, 7), n -> { });
            MemStats stats = new MemStats();
            allocator.readMemStats(stats);
            System.out.printf("soak: %,d operations on 2 threads in %.1f s, bad stamps %d, %d trims raced;"
                    + " Sys %,d = Inuse %,d + Cached %,d + Central %,d + Released %,d%n", result.operations(),
                    result.seconds(), result.badStamps(), result.trims(), stats.sys(), stats.inuse(), stats.cached(),
                    stats.central(), stats.released());
            assertEquals(operations, result.operations());
            assertEquals(0, result.badStamps(), "blocks lost, handed out twice, or overwritten");
            assertEquals(0, stats.inuse());
            assertEquals(stats.sys(), stats.inuse() + stats.cached() + stats.central() + stats.released());
            assertEquals(stats.mallocs(), stats.frees());
            MemStats pools = new MemStats();
            stacks.readPoolStats(pools);
            defers.readPoolStats(pools);
            assertEquals(0, pools.stackInuse());
            assertEquals(0, pools.deferInuse());
        }
    }

    @Test
    void theMXBeanShowsWhatReadMemStatsShows() throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create(); StackPool stacks = StackPool.create();
             DeferPool defers = DeferPool.create()) {
            long block = allocator.allocateAddress(1000);
            var stack = stacks.newStack();
            var frame = stack.push();
            frame.allocate(3000);
            SegpoolJmx stats = new SegpoolJmx(allocator, stacks, defers);
            try (SegpoolJmx.Registration registration = stats.register()) {
                MBeanServer server = ManagementFactory.getPlatformMBeanServer();
                ObjectName name = new ObjectName("io.segpool:type=MemStats,name=" + allocator.name());
                assertEquals(name, registration.name());
                MemStats direct = new MemStats();
                stats.readMemStats(direct);
                assertTrue(direct.sys() > 0 && direct.stackSys() > 0 && direct.inuse() > 0 && direct.stackInuse() > 0);
                assertEquals(direct.sys(), server.getAttribute(name, "Sys"));
                assertEquals(direct.inuse(), server.getAttribute(name, "Inuse"));
                assertEquals(direct.stackSys(), server.getAttribute(name, "StackSys"));
                assertEquals(direct.stackInuse(), server.getAttribute(name, "StackInuse"));
                assertEquals(direct.deferSys(), server.getAttribute(name, "DeferSys"));
                assertEquals(direct.mallocs(), server.getAttribute(name, "Mallocs"));
            }
            assertTrue(!ManagementFactory.getPlatformMBeanServer().isRegistered(stats.objectName()),
                    "closing the registration unregisters");
            frame.close();
            stack.close();
            allocator.freeAddress(block, 1000);
        }
    }

    @Test
    void threadChurnKeepsStackSysUnderTheSeedsBound() throws Exception {
        try (StackPool stacks = StackPool.create()) {
            ThreadChurn.Config config = new ThreadChurn.Config(64, 32, 128, 1024);
            ThreadChurn.Result result = ThreadChurn.run(stacks, config, n -> { });
            assertEquals(64 * 32, result.threads());
            assertTrue(result.stackSysGrowth() <= 32L << 20, "StackSys grew " + result.stackSysGrowth());
            assertEquals(0, result.stackInuseAfter());
        }
    }
}
