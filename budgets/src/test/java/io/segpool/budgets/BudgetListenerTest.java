package io.segpool.budgets;

import io.segpool.allocator.NativeAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The listener's paths: refusal before allocation, retry after a refusal, high-water, children, after free. */
@Timeout(30)
class BudgetListenerTest {

    private final NativeAllocator allocator = NativeAllocator.create();
    private final List<String> calls = new ArrayList<>();

    @AfterEach
    void closeAllocator() {
        allocator.close();
    }

    @Test
    void beforeAllocateMayRefuseWithNothingCharged() {
        BudgetListener refuseBig = new BudgetListener() {
            @Override
            public void beforeAllocate(Budget budget, long size, long blockSize) {
                if (size > 1000) {
                    throw new IllegalStateException("too big for " + budget.path());
                }
            }
        };
        Budget root = Budget.root(allocator, "db", 100_000, refuseBig);
        Budget q = root.newChild("q", 0, 50_000);
        assertEquals("too big for db/q", assertThrows(IllegalStateException.class, () -> q.allocate(2000)).getMessage());
        assertEquals(0, root.used());
        q.free(q.allocate(1000));
        root.close();
    }

    @Test
    void onRefusalRetriesOnceAfterTheListenerSpilled() {
        MemorySegment[] spillable = new MemorySegment[1];
        int[] refusals = {0};
        BudgetListener spill = new BudgetListener() {
            @Override
            public boolean onRefusal(Budget budget, long size, long blockSize, BudgetLimitException refusal) {
                refusals[0]++;
                if (spillable[0] != null) {
                    budget.free(spillable[0]);
                    spillable[0] = null;
                }
                return true;
            }
        };
        Budget root = Budget.root(allocator, "db", 100_000);
        Budget q = root.newChild("q", 0, 40_000, spill);
        spillable[0] = q.allocate(32_768);
        MemorySegment s = q.allocate(32_768);
        assertEquals(1, refusals[0], "refused once, spilled, retried and served");
        assertEquals(32_768, q.used());
        BudgetLimitException e = assertThrows(BudgetLimitException.class, () -> q.allocate(16_384));
        assertEquals(2, refusals[0], "retried once only: the second refusal throws");
        assertEquals("db/q", e.refusedBy());
        q.free(s);
        root.close();
    }

    @Test
    void highWaterChildrenAndFreesAreHeardOnceEach() {
        BudgetListener recorder = new BudgetListener() {
            @Override
            public void onHighWater(Budget budget, long used, long mark) {
                calls.add("high " + budget.path() + " " + used + " " + mark);
            }

            @Override
            public void onChildAdded(Budget parent, Budget child) {
                calls.add("added " + child.path());
            }

            @Override
            public void onChildRemoved(Budget parent, Budget child) {
                calls.add("removed " + child.path());
            }

            @Override
            public void afterFree(Budget budget, long blockSize) {
                calls.add("freed " + budget.path() + " " + blockSize);
            }
        };
        Budget root = Budget.root(allocator, "db", 100_000, recorder);
        root.setHighWaterMark(10_000);
        Budget q = root.newChild("q", 0, 50_000);
        MemorySegment a = q.allocate(8192);
        MemorySegment b = q.allocate(4096);
        MemorySegment c = q.allocate(4096);
        q.free(b);
        q.free(c);
        MemorySegment d = q.allocate(4096);
        q.free(a);
        q.free(d);
        q.close();
        assertEquals(List.of("added db/q", "high db 12288 10000", "freed db/q 4096", "freed db/q 4096",
                "high db 12288 10000", "freed db/q 8192", "freed db/q 4096", "removed db/q"), calls);
        root.close();
    }

    @Test
    void aListenerThrowingAfterTheCommitLeaksNothing() {
        BudgetListener broken = new BudgetListener() {
            @Override
            public void afterFree(Budget budget, long blockSize) {
                throw new IllegalStateException("listener bug");
            }

            @Override
            public void onHighWater(Budget budget, long used, long mark) {
                throw new IllegalStateException("listener bug");
            }
        };
        Budget root = Budget.root(allocator, "db", 100_000, broken);
        root.setHighWaterMark(0);
        MemorySegment s = root.allocate(100);
        assertEquals(100, s.byteSize(), "the block is handed out though onHighWater threw");
        root.free(s);
        assertEquals(0, root.used(), "the free is credited though afterFree threw");
        BudgetStats stats = new BudgetStats();
        root.readStats(stats);
        assertEquals(2, stats.listenerFailures());
        root.close();
    }

    @Test
    void aChildInheritsItsParentsListener() {
        BudgetListener recorder = new BudgetListener() {
            @Override
            public void afterFree(Budget budget, long blockSize) {
                calls.add(budget.path());
            }
        };
        Budget root = Budget.root(allocator, "db", 100_000, recorder);
        Budget op = root.newChild("q", 0, 50_000).newChild("sort", 0, 10_000);
        op.free(op.allocate(10));
        assertEquals(List.of("db/q/sort"), calls);
        assertSame(root, op.parent().parent());
        root.close();
    }
}
