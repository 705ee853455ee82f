package io.segpool.budgets;

import io.segpool.allocator.NativeAllocator;
import io.segpool.stats.MemStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Arrow's rules, one row each: limits at every level, reservations, headroom, setLimit below use,
 * close. Limits under 128 KiB lease no credit, so {@code used} is exact after every call here.
 */
@Timeout(30)
class BudgetRulesTest {

    private final NativeAllocator allocator = NativeAllocator.create();

    @AfterEach
    void closeAllocator() {
        allocator.close();
    }

    @Test
    void eachLevelsLimitRefusesWithNothingCharged() {
        Budget root = Budget.root(allocator, "db", 100_000);
        Budget query = root.newChild("query-42", 0, 60_000);
        Budget join = query.newChild("hash-join", 0, 40_000);
        Budget other = root.newChild("query-43", 0, 100_000);
        MemorySegment held = join.allocate(32_768);
        MemorySegment big = other.allocate(65_536);
        assertEquals(98_304, root.used());
        // {budget asked, request, the budget that refuses}
        Object[][] rows = {
            {join, 8_192L, "db/query-42/hash-join"},
            {query, 32_768L, "db/query-42"},
            {other, 4_096L, "db"},
            {join, 4_096L, "db"},
        };
        for (Object[] row : rows) {
            Budget b = (Budget) row[0];
            long request = (Long) row[1];
            long[] before = {join.used(), query.used(), other.used(), root.used()};
            BudgetLimitException e = assertThrows(BudgetLimitException.class, () -> b.allocate(request));
            assertEquals(row[2], e.refusedBy());
            assertEquals(b.path(), e.path());
            assertEquals(request, e.requested());
            assertEquals(NativeAllocator.blockSize(request), e.blockSize());
            assertTrue(e.getMessage().contains("Allocation outcome details"), e.getMessage());
            assertTrue(e.getMessage().contains("<- refused here"), e.getMessage());
            int depth = b.path().split("/").length;
            assertEquals(depth + 2, e.getMessage().split("\n").length, e.getMessage());
            assertEquals(before[0], join.used(), "nothing charged on refusal");
            assertEquals(before[1], query.used());
            assertEquals(before[2], other.used());
            assertEquals(before[3], root.used());
        }
        join.free(held);
        other.free(big);
        assertEquals(0, root.used());
        root.close();
    }

    @Test
    void reservationIsTakenFromTheParentAndUsageBelowItIsNotChargedUp() {
        Budget root = Budget.root(allocator, "db", 100_000);
        Budget child = root.newChild("q", 32_768, 80_000);
        assertEquals(32_768, root.used(), "the reservation is charged to the parent at once");
        assertEquals(0, child.used());
        MemorySegment a = child.allocate(16_384);
        assertEquals(16_384, child.used());
        assertEquals(32_768, root.used(), "below the reservation nothing is charged further up");
        MemorySegment b = child.allocate(32_768);
        assertEquals(49_152, child.used());
        assertEquals(49_152, root.used(), "only the part above the reservation");
        child.free(a);
        child.free(b);
        assertEquals(32_768, root.used());
        child.close();
        assertEquals(0, root.used(), "close returns the reservation");
        assertEquals(0, child.reservation());
        assertThrows(BudgetLimitException.class, () -> root.newChild("big", 100_001 - 0, 200_000),
                "a reservation that does not fit is refused");
        assertEquals(0, root.used());
        assertThrows(IllegalArgumentException.class, () -> root.newChild("neg", -1, 10));
        assertThrows(IllegalArgumentException.class, () -> root.newChild("inverted", 20, 10));
        assertThrows(IllegalArgumentException.class, () -> root.newChild("a/b", 0, 10));
        assertThrows(IllegalArgumentException.class, () -> Budget.root(allocator, "x", -1));
    }

    @Test
    void headroomFollowsArrowsFormula() {
        Budget root = Budget.root(allocator, "db", 100_000);
        Budget a = root.newChild("a", 20_000, 50_000);
        Budget b = root.newChild("b", 0, 90_000);
        // root: used 20 000 (a's reservation); headroom 80 000
        assertEquals(80_000, root.headroom());
        // a: min(50 000 - 0, 80 000 + 20 000) = 50 000
        assertEquals(50_000, a.headroom());
        // b: min(90 000, 80 000 + 0) = 80 000
        assertEquals(80_000, b.headroom());
        MemorySegment s = b.allocate(65_536);
        // root used 85 536: headroom 14 464; a: min(50 000, 14 464 + 20 000); b: min(24 464, 14 464)
        assertEquals(14_464, root.headroom());
        assertEquals(34_464, a.headroom());
        assertEquals(14_464, b.headroom());
        BudgetStats stats = new BudgetStats();
        b.readStats(stats);
        assertEquals(14_464, stats.headroom());
        assertEquals(65_536, stats.allocated());
        assertEquals(65_536, stats.requested());
        assertEquals(1, stats.blocks());
        b.free(s);
        a.close();
        b.close();
        root.close();
    }

    @Test
    void readStatsAllocatesNothing() {
        Budget root = Budget.root(allocator, "db", 1L << 30);
        Budget q = root.newChild("q", 4096, 1L << 29);
        MemorySegment s = q.allocate(1000);
        BudgetStats stats = new BudgetStats();
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().threadId();
        for (int i = 0; i < 20_000; i++) {
            q.readStats(stats);
        }
        long before = threads.getThreadAllocatedBytes(thread);
        for (int i = 0; i < 10_000; i++) {
            q.readStats(stats);
        }
        long garbage = threads.getThreadAllocatedBytes(thread) - before;
        assertTrue(garbage < 1024, "readStats allocated " + garbage + " bytes in 10 000 reads");
        assertEquals(NativeAllocator.blockSize(1000), stats.allocated());
        assertEquals(1, stats.blocks());
        q.free(s);
        root.close();
    }

    @Test
    void setLimitBelowUseRefusesUntilFreesBringItBack() {
        Budget root = Budget.root(allocator, "db", 100_000);
        Budget q = root.newChild("q", 0, 100_000);
        MemorySegment a = q.allocate(32_768);
        MemorySegment b = q.allocate(32_768);
        q.setLimit(40_000);
        assertTrue(q.isOverLimit());
        assertEquals(40_000, q.limit());
        assertThrows(BudgetLimitException.class, () -> q.allocate(16));
        q.free(a);
        assertFalse(q.isOverLimit());
        MemorySegment c = q.allocate(1024);
        assertThrows(IllegalArgumentException.class, () -> root.newChild("r", 50, 60).setLimit(49));
        q.free(b);
        q.free(c);
        root.setLimit(10);
        assertTrue(q.isOverLimit(), "an ancestor over its limit counts");
        root.setLimit(100_000);
        root.close();
    }

    @Test
    void everyBlockIsChargedAtTheAllocatorsBlockSize() {
        Budget root = Budget.root(allocator, "db", 1L << 30);
        long[][] rows = {
            {0, 1}, {1, 1}, {17, 16}, {100, 1}, {100, 64}, {100, 128}, {1000, 512}, {4097, 4096},
            {5000, 65_536}, {5000, 131_072}, {1 << 20, 1}, {(1 << 20) + 1, 1}, {3 << 20, 4096}, {200, 1 << 20},
        };
        MemStats stats = new MemStats();
        for (long[] row : rows) {
            root.flush();
            allocator.readMemStats(stats);
            long inuse = stats.inuse();
            long used = root.allocated();
            MemorySegment s = row[1] == 1 ? root.allocate(row[0]) : root.allocate(row[0], row[1]);
            allocator.readMemStats(stats);
            long block = root.allocated() - used;
            assertEquals(stats.inuse() - inuse, block, "block of " + row[0] + " at alignment " + row[1]);
            assertEquals(NativeAllocator.blockSize(row[0], row[1]), block);
            assertEquals(0, s.address() % row[1]);
            root.free(s);
        }
        long address = root.allocateAddress(300);
        assertEquals(NativeAllocator.blockSize(300), root.allocated());
        root.freeAddress(address, 300);
        root.flush();
        assertEquals(0, root.used());
        assertEquals(0, root.allocated());
        root.close();
    }

    @Test
    void reservationAddsExactBytesAndGivesBackTheRest() {
        Budget root = Budget.root(allocator, "db", 100_000);
        Budget q = root.newChild("q", 0, 50_000);
        BudgetReservation r = q.newReservation();
        assertTrue(r.add(1000));
        assertEquals(1000, q.used(), "exact, no power-of-two rounding");
        assertTrue(r.add(9000));
        assertFalse(r.add(40_001), "past the limit: refused, nothing charged");
        assertEquals(10_000, q.used());
        MemorySegment s = r.allocate(3000);
        assertEquals(10_000 - NativeAllocator.blockSize(3000), r.reserved());
        assertThrows(IllegalStateException.class, () -> r.allocate(20_000));
        r.close();
        r.close();
        assertEquals(NativeAllocator.blockSize(3000), q.used());
        q.free(s);
        assertEquals(0, q.used());
        BudgetReservation open = q.newReservation();
        assertTrue(open.add(5000));
        q.close();
        assertEquals(0, root.used(), "closing the budget closes its reservations");
        assertThrows(IllegalStateException.class, () -> open.add(1));
        root.close();
    }

    @Test
    void closeIsIdempotentClosesChildrenFirstAndRefusesNewWork() {
        Budget root = Budget.root(allocator, "db", 100_000);
        Budget q = root.newChild("q", 1000, 50_000);
        Budget op = q.newChild("scan", 500, 10_000);
        MemorySegment s = op.allocate(100);
        op.free(s);
        root.close();
        root.close();
        assertTrue(op.isClosed() && q.isClosed() && root.isClosed());
        assertEquals(0, root.used());
        assertThrows(IllegalStateException.class, () -> op.allocate(1));
        assertThrows(IllegalStateException.class, () -> q.newChild("x", 0, 1));
        assertThrows(IllegalStateException.class, q::newReservation);
    }
}
