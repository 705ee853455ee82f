package io.segpool.pools;

import io.segpool.allocator.NativeAllocator;
import io.segpool.stats.MemStats;
import io.segpool.stats.MemStatsSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One verb, one meaning: {@code readMemStats} fills every field of a snapshot, for an allocator
 * and for a pool alike (a pool's are its own allocator's, with its Sys and Inuse as its two pool
 * figures); {@code readPoolStats} fills a pool's two fields only, to gather them beside an
 * allocator's.
 */
@Timeout(60)
class PoolStatsReadTest {

    @Test
    void aPoolsReadMemStatsFillsEveryFieldWithItsOwnAllocatorsFigures() {
        try (StackPool stacks = StackPool.create(); DeferPool defers = DeferPool.create();
             SegmentedStack stack = stacks.newStack(); Frame frame = stack.push();
             DeferScope scope = defers.newScope()) {
            frame.allocate(3000);
            scope.defer(defers.register(args -> { }), 5L);

            MemStats stackStats = new MemStats();
            stacks.readMemStats(stackStats);
            assertTrue(stackStats.sys() > 0 && stackStats.mallocs() == 1 && stackStats.classCount() > 0,
                    stackStats.toString());
            assertEquals(stackStats.sys(), stackStats.stackSys(), "a stack pool's Sys is its StackSys");
            assertEquals(stackStats.inuse(), stackStats.stackInuse(), "a stack pool's Inuse is its StackInuse");
            assertEquals(StackPool.DEFAULT_SEGMENT_SIZE, stackStats.stackInuse(), "one segment handed out");
            assertEquals(0, stackStats.deferSys() + stackStats.deferInuse(), "no defer figures in a stack pool's");

            MemStats deferStats = stackStats; // reused: every field is overwritten
            defers.readMemStats(deferStats);
            assertEquals(deferStats.sys(), deferStats.deferSys());
            assertEquals(deferStats.inuse(), deferStats.deferInuse());
            assertTrue(deferStats.deferInuse() > 0);
            assertEquals(0, deferStats.stackSys() + deferStats.stackInuse(), "the stack pool's read left nothing behind");
        }
    }

    @Test
    void readPoolStatsAddsAPoolsTwoFiguresToAnAllocatorsSnapshot() {
        try (NativeAllocator allocator = NativeAllocator.create(); StackPool stacks = StackPool.create();
             DeferPool defers = DeferPool.create(); SegmentedStack stack = stacks.newStack();
             Frame frame = stack.push(); DeferScope scope = defers.newScope()) {
            long block = allocator.allocateAddress(100);
            frame.allocate(3000);
            scope.defer(defers.register(args -> { }), 5L);

            MemStats alone = new MemStats();
            allocator.readMemStats(alone);
            MemStats gathered = new MemStats();
            allocator.readMemStats(gathered);
            stacks.readPoolStats(gathered);
            defers.readPoolStats(gathered);
            assertEquals(alone.sys(), gathered.sys(), "the pools' reads left the allocator's figures alone");
            assertEquals(alone.inuse(), gathered.inuse());
            assertEquals(alone.mallocs(), gathered.mallocs());
            MemStats stackOwn = new MemStats();
            stacks.readMemStats(stackOwn);
            MemStats deferOwn = new MemStats();
            defers.readMemStats(deferOwn);
            assertEquals(stackOwn.stackSys(), gathered.stackSys());
            assertEquals(stackOwn.stackInuse(), gathered.stackInuse());
            assertEquals(deferOwn.deferSys(), gathered.deferSys());
            assertEquals(deferOwn.deferInuse(), gathered.deferInuse());

            allocator.readMemStats(gathered);
            assertEquals(0, gathered.stackSys() + gathered.stackInuse() + gathered.deferSys() + gathered.deferInuse(),
                    "an allocator's own read fills every field: its pool figures are 0");
            allocator.freeAddress(block, 100);
        }
    }

    @Test
    void poolsAndTheAllocatorAreMemStatsSourcesNamedAsTheirAllocators() {
        try (NativeAllocator allocator = NativeAllocator.create(); StackPool stacks = StackPool.create();
             DeferPool defers = DeferPool.create()) {
            for (MemStatsSource source : new MemStatsSource[] {allocator, stacks, defers}) {
                MemStats stats = new MemStats();
                source.readMemStats(stats);
                assertEquals(stats.inuse() + stats.cached() + stats.central() + stats.released(), stats.sys(),
                        source.name());
            }
            assertEquals(stacks.allocator().name(), stacks.name());
            assertEquals(defers.allocator().name(), defers.name());
        }
    }

    @Test
    void theSharedMethodsAreThePublicPoolsOwnForReflection() throws ReflectiveOperationException {
        for (Class<?> pool : new Class<?>[] {StackPool.class, DeferPool.class}) {
            for (var method : new java.lang.reflect.Method[] {pool.getMethod("config"), pool.getMethod("name"),
                    pool.getMethod("readMemStats", MemStats.class), pool.getMethod("readPoolStats", MemStats.class),
                    pool.getMethod("trim"), pool.getMethod("close")}) {
                assertEquals(pool, method.getDeclaringClass(), method + " must be callable on the public class");
            }
        }
    }

    @Test
    void aClosedPoolRefusesBothReads() {
        StackPool stacks = StackPool.create();
        stacks.close();
        assertThrows(IllegalStateException.class, () -> stacks.readMemStats(new MemStats()));
        assertThrows(IllegalStateException.class, () -> stacks.readPoolStats(new MemStats()));
        assertThrows(IllegalStateException.class, stacks::trim);
        DeferPool defers = DeferPool.create();
        defers.close();
        assertThrows(IllegalStateException.class, () -> defers.readMemStats(new MemStats()));
        assertThrows(IllegalStateException.class, () -> defers.readPoolStats(new MemStats()));
        assertThrows(IllegalStateException.class, defers::newScope);
    }
}
