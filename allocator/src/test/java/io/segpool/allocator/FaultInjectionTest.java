package io.segpool.allocator;

import io.segpool.allocator.FaultyEdges.Edge;
import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fault injection at every edge where the OS or the JDK can refuse (issue 17): for each edge,
 * a scripted workload that crosses every state change (carving chunks, refills, spills over the
 * cached-bytes limit, large blocks mapped, cached, reused and evicted, trims, leak records, and
 * close) runs once for each n with the n-th call of that edge failing. After every step, whether
 * it returned or threw: conservation holds, every live block's stamp is intact, no two live
 * blocks overlap, a step that threw changed nothing it did not report (a failed allocation hands
 * nothing out; a failed free leaves the block its caller's, so freeing it again later succeeds),
 * and the allocator stays usable. At the end close() succeeds (after the fault is healed, a
 * failed close is retried) and nothing is left mapped.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class FaultInjectionTest {

    /** Large enough that every edge's calls in the workload are each failed once. */
    private static final int MAX_N = 40;

    @ParameterizedTest
    @EnumSource(Edge.class)
    void everyCallOfEveryEdgeCanFail(Edge edge) {
        long calls = callsOf(edge);
        assertTrue(calls > 0 || edge == Edge.RESERVE, () -> "the workload never reaches " + edge);
        int faults = 0;
        for (long n = 1; n <= Math.min(calls, MAX_N); n++) {
            FaultyEdges edges = new FaultyEdges().failNth(edge, n);
            Workload workload;
            try {
                workload = new Workload(edges);
            } catch (OutOfMemoryError refused) {
                assertEquals(Edge.RESERVE, edge, "only the reservation can refuse create()");
                assertEquals(0, edges.mappedBytes(), "a refused create() leaves nothing mapped");
                faults++;
                continue;
            }
            workload.run();
            workload.closeAndCheck();
            faults += edges.failures() > 0 ? 1 : 0;
        }
        assertTrue(faults > 0, () -> "no fault of " + edge + " was injected");
    }

    /** Item 4: a close() that meets a busy arena or a refused unmap fails clearly and can be retried. */
    @ParameterizedTest
    @EnumSource(value = Edge.class, names = {"CLOSE_ARENA", "UNMAP"})
    void aCloseThatFailsCanBeRetried(Edge edge) {
        FaultyEdges edges = new FaultyEdges();
        NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults(), edges);
        long small = allocator.allocateAddress(64);
        long large = allocator.allocateAddress(3 << 20);
        long cachedSpan = allocator.allocateAddress(5 << 20);
        allocator.freeAddress(cachedSpan, 5 << 20);
        edges.failAll(edge);
        IllegalStateException refused = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                allocator::close);
        assertTrue(refused.getMessage().contains("call close() again"), refused.getMessage());
        assertTrue(!allocator.isOpen());
        // Closed to new work: what needs the central stacks or a new mapping is refused.
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> allocator.allocateAddress(1 << 20));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> allocator.allocateAddress(4 << 20));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, allocator::trim);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, allocator::close,
                "a second close() while the fault lasts tries again and fails again");
        assertTrue(edges.mappedBytes() > 0, "what could not be unmapped is still mapped");
        edges.heal();
        allocator.close();
        assertEquals(0, edges.mappedBytes(), "the retried close() left memory mapped");
        allocator.close(); // idempotent once done
        assertTrue(small != 0 && large != 0);
    }

    /** The calls of {@code edge} that one clean run of the workload makes. */
    private static long callsOf(Edge edge) {
        FaultyEdges counting = new FaultyEdges();
        Workload clean = new Workload(counting);
        clean.run();
        clean.closeAndCheck();
        assertEquals(0, clean.faults, "the workload must run clean with no fault injected");
        return counting.calls(edge);
    }

    /** The scripted workload, and the oracle that checks the allocator after every step. */
    private static final class Workload {
        private final FaultyEdges edges;
        private final NativeAllocator allocator;
        /** Live blocks: address to size. */
        private final TreeMap<Long, Long> live = new TreeMap<>();
        /** Blocks whose free threw: still their caller's, freed again at the end. */
        private final List<long[]> unfreed = new ArrayList<>();
        private int faults;

        Workload(FaultyEdges edges) {
            this.edges = edges;
            this.allocator = NativeAllocator.create(AllocatorConfig.defaults()
                    .withCachedBytesLimit(1 << 20)
                    .withLeakTracking(AllocatorConfig.LeakTracking.EVERY), edges);
        }

        void run() {
            for (int round = 0; round < 2; round++) {
                allocateMany(64, 120);
                allocateMany(4096, 80);
                allocateMany(3 << 20, 3);
                freeSome(3);          // frees two of every three: spills, the limit, large spans cached
                step(() -> allocator.threadCache().flush());
                step(allocator::trim);
                allocateMany(64, 60); // reuses released ranges
                allocateMany(3 << 20, 2);
                freeSome(1);
                step(() -> allocator.threadCache().flush()); // every chunk wholly free: trim releases them
                step(allocator::trim);
            }
        }

        private void allocateMany(long size, int count) {
            for (int i = 0; i < count; i++) {
                step(() -> taken(allocator.allocateAddress(size), size));
            }
        }

        /** Frees every block but each {@code keepEvery}-th one (all of them for 1). */
        private void freeSome(int keepEvery) {
            int i = 0;
            for (Iterator<Map.Entry<Long, Long>> blocks = live.entrySet().iterator(); blocks.hasNext(); i++) {
                Map.Entry<Long, Long> block = blocks.next();
                if (keepEvery > 1 && i % keepEvery == 0) {
                    continue;
                }
                long address = block.getKey();
                long size = block.getValue();
                checkStamp(address, size);
                blocks.remove();
                if (!step(() -> allocator.freeAddress(address, size))) {
                    unfreed.add(new long[] {address, size});
                }
            }
        }

        /**
         * Runs one public call; true when it returned. A throw must be the fault's own kind, and
         * either way the oracle's checks must hold after it.
         */
        private boolean step(Runnable call) {
            boolean done;
            try {
                call.run();
                done = true;
            } catch (OutOfMemoryError | IllegalStateException fault) {
                if (edges.failures() == 0) {
                    throw fault; // no fault was injected: a real failure
                }
                faults++;
                done = false;
            }
            check();
            return done;
        }

        private void taken(long address, long size) {
            long blockSize = NativeAllocator.blockSize(size);
            Map.Entry<Long, Long> below = live.floorEntry(address);
            if (below != null && below.getKey() + NativeAllocator.blockSize(below.getValue()) > address) {
                fail("block 0x" + Long.toHexString(address) + " overlaps live block 0x" + Long.toHexString(below.getKey()));
            }
            Map.Entry<Long, Long> above = live.ceilingEntry(address);
            if (above != null && above.getKey() < address + blockSize) {
                fail("block 0x" + Long.toHexString(address) + " overlaps live block 0x" + Long.toHexString(above.getKey()));
            }
            for (long[] held : unfreed) {
                if (held[0] == address) {
                    fail("block 0x" + Long.toHexString(address) + " was handed out while its owner still holds it"
                            + " (its free failed)");
                }
            }
            live.put(address, size);
            MemorySegment view = allocator.segment(address, size);
            view.set(ValueLayout.JAVA_LONG, 0, address);
            view.set(ValueLayout.JAVA_LONG, size - 8, ~address);
        }

        private void checkStamp(long address, long size) {
            MemorySegment view = allocator.segment(address, size);
            assertEquals(address, view.get(ValueLayout.JAVA_LONG, 0), "stamp overwritten");
            assertEquals(~address, view.get(ValueLayout.JAVA_LONG, size - 8), "stamp overwritten");
        }

        private void check() {
            MemStats stats = TestSupport.stats(allocator);
            TestSupport.assertConserved(stats);
            long expected = 0;
            for (Map.Entry<Long, Long> block : live.entrySet()) {
                expected += NativeAllocator.blockSize(block.getValue());
            }
            for (long[] held : unfreed) {
                expected += NativeAllocator.blockSize(held[1]);
            }
            assertEquals(expected, stats.inuse(), () -> "Inuse is not the blocks handed out\n" + stats);
        }

        void closeAndCheck() {
            for (Map.Entry<Long, Long> block : live.entrySet()) {
                checkStamp(block.getKey(), block.getValue());
            }
            edges.heal();
            for (long[] held : unfreed) {
                allocator.freeAddress(held[0], held[1]); // still the caller's: the free can be made again
            }
            unfreed.clear();
            for (Map.Entry<Long, Long> block : live.entrySet()) {
                allocator.freeAddress(block.getKey(), block.getValue());
            }
            live.clear();
            MemStats stats = TestSupport.stats(allocator);
            assertEquals(0, stats.inuse());
            TestSupport.assertConserved(stats);
            allocator.close();
            assertEquals(0, edges.mappedBytes(), "close() left memory mapped");
        }
    }
}
