package io.segpool.budgets;

import io.segpool.allocator.NativeAllocator;
import io.segpool.stats.MemStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Leaks on close with and without tracking, free after a leaked close, closeAndRelease, wrong-budget frees. */
@Timeout(30)
class BudgetLeakTest {

    private final NativeAllocator allocator = NativeAllocator.create();
    private final MemStats stats = new MemStats();

    @AfterEach
    void closeAllocator() {
        allocator.close();
    }

    private long inuse() {
        allocator.readMemStats(stats);
        return stats.inuse();
    }

    @Test
    void aLeakWithoutTrackingNamesTheBlocksButNoSite() {
        Budget root = Budget.root(allocator, "db", 100_000);
        Budget q = root.newChild("query-7", 1000, 50_000);
        Budget scan = q.newChild("scan", 0, 10_000);
        MemorySegment leaked = scan.allocate(300);
        BudgetLeakException e = assertThrows(BudgetLeakException.class, q::close);
        assertTrue(e.getMessage().startsWith("Memory was leaked by budget db/query-7"), e.getMessage());
        assertEquals(NativeAllocator.blockSize(300), e.leakedBytes());
        String report = e.report();
        long block = NativeAllocator.blockSize(300);
        assertTrue(report.contains("db/query-7  res 1000  used " + block + "  peak " + block + "  limit 50000"), report);
        assertTrue(report.contains("db/query-7/scan  res 0  used " + block + "  peak " + block + "  limit 10000  blocks 1"),
                report);
        assertTrue(report.contains("live block 0x" + Long.toHexString(leaked.address()) + ": 300 bytes"), report);
        assertTrue(report.contains("leak tracking off"), report);
        assertTrue(q.isClosed() && scan.isClosed(), "closed anyway, children first");
        assertThrows(IllegalStateException.class, () -> scan.allocate(1), "closed for new allocations");
        assertEquals(block, root.used(), "the reservation went back; the live bytes stay charged to the parent");
        q.close(); // idempotent: no second report
        scan.free(leaked);
        assertEquals(0, root.used(), "a free after the leaked close credits the parent");
        assertEquals(0, scan.used());
        root.close();
    }

    @Test
    void aLeakWithTrackingNamesTheAllocationSite() {
        Budget root = Budget.root(allocator, "db", 100_000);
        Budget q = root.newChild("query-8", 0, 50_000);
        q.trackLeaks(true);
        MemorySegment leaked = q.allocate(64);
        BudgetLeakException e = assertThrows(BudgetLeakException.class, root::close);
        assertTrue(e.report().contains("aLeakWithTrackingNamesTheAllocationSite"), e.report());
        assertTrue(e.report().contains("db/query-8"), e.report());
        assertTrue(root.isClosed());
        q.free(leaked);
        assertEquals(0, root.used());
    }

    @Test
    void closeAndReleaseFreesTheLeakedBlocks() {
        long before = inuse();
        Budget root = Budget.root(allocator, "db", 1L << 30);
        Budget q = root.newChild("q", 0, 1L << 29);
        for (int i = 0; i < 100; i++) {
            q.allocate(1000 + i);
        }
        q.newChild("op", 4096, 4 << 20).allocateAddress(2 << 20);
        q.closeAndRelease();
        assertTrue(q.isClosed());
        assertEquals(0, q.used());
        assertEquals(0, root.used());
        assertEquals(before, inuse(), "every block went back to the allocator");
        root.close();
    }

    @Test
    void aFreeThroughAnotherBudgetIsRefusedNamingBothWithNothingChanged() {
        Budget root = Budget.root(allocator, "db", 100_000);
        Budget a = root.newChild("a", 0, 50_000);
        Budget b = root.newChild("b", 0, 50_000);
        MemorySegment s = a.allocate(500);
        long address = a.allocateAddress(700);
        for (Budget wrong : new Budget[] {b, root}) {
            long inuse = inuse();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> wrong.free(s));
            assertTrue(e.getMessage().contains("through budget " + wrong.path()), e.getMessage());
            assertTrue(e.getMessage().contains("belongs to budget db/a"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> wrong.freeAddress(address, 700));
            long held = NativeAllocator.blockSize(500) + NativeAllocator.blockSize(700);
            assertEquals(held, a.used());
            assertEquals(0, b.used());
            assertEquals(held, root.used());
            assertEquals(inuse, inuse());
        }
        a.free(s);
        a.freeAddress(address, 700);
        assertEquals(0, root.used());
        root.close();
    }

    @Test
    void foreignDoubleAndMisSizedFreesAreRefusedWithNothingChanged() {
        Budget root = Budget.root(allocator, "db", 100_000);
        MemorySegment plain = allocator.allocate(100);
        assertThrows(IllegalArgumentException.class, () -> root.free(plain), "not a block of the tree");
        allocator.free(plain);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment foreign = arena.allocate(64);
            assertThrows(IllegalArgumentException.class, () -> root.free(foreign));
        }
        MemorySegment s = root.allocate(100);
        assertThrows(IllegalArgumentException.class, () -> root.free(s.asSlice(0, 50)),
                "the allocator refuses a view of another size");
        assertEquals(112, root.used(), "the block stays recorded and charged");
        root.free(s);
        assertThrows(IllegalArgumentException.class, () -> root.free(s), "a double free finds no live block");
        assertEquals(0, root.used());
        assertFalse(root.isOverLimit());
        root.close();
    }
}
