package io.segpool.allocator;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 17 item 1: a free or a view must prove that its address is exactly a block start. For
 * every size class, for blocks at the start, second place and end of a chunk, every 16-byte step
 * inside the block and the first steps into its neighbour are refused as frees (by address and by
 * segment), with nothing changed; views stay inside the block as handed out. The old check kept
 * one state entry per 64 bytes and trusted it for any 16-byte aligned address in those 64 bytes.
 */
class ExactBlockStartTest {

    private NativeAllocator allocator;

    @BeforeEach
    void open() {
        allocator = NativeAllocator.create();
    }

    @AfterEach
    void close() {
        allocator.close();
    }

    @Test
    void theIssuesFourCasesAreRefused() {
        long b = allocator.allocateAddress(64);
        long x = allocator.allocateAddress(80);
        long y = allocator.allocateAddress(80);
        assertEquals(x + 80, y, "two 80 B blocks in a row from a fresh class");
        MemStats before = TestSupport.stats(allocator);
        assertThrows(IllegalArgumentException.class, () -> allocator.freeAddress(b + 16, 64));
        assertThrows(IllegalArgumentException.class, () -> allocator.freeAddress(x + 64, 80));
        assertThrows(IllegalArgumentException.class, () -> allocator.free(allocator.segment(b + 16, 48)));
        assertThrows(IllegalArgumentException.class, () -> allocator.segment(x + 64, 80));
        assertUnchanged(before);
        // The real owners still free their blocks: nothing was freed for them.
        allocator.freeAddress(b, 64);
        allocator.freeAddress(x, 80);
        allocator.freeAddress(y, 80);
    }

    @Test
    void everyClassRefusesEveryInteriorStepAndTheNeighboursStart() {
        for (int c = 0; c < SizeClasses.count(); c++) {
            long size = SizeClasses.size(c);
            int perChunk = SizeClasses.blocksPerChunk(c);
            int count = Math.min(perChunk + 2, 40);
            List<Long> blocks = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                blocks.add(allocator.allocateAddress(size));
            }
            for (int i : new int[] {0, 1, Math.min(perChunk - 1, count - 2)}) {
                checkBlock(blocks.get(i), size);
            }
            for (long block : blocks) {
                allocator.freeAddress(block, size);
            }
        }
    }

    /** Every wrong free at and around {@code block} is refused; every view stays inside it. */
    private void checkBlock(long block, long size) {
        MemStats before = TestSupport.stats(allocator);
        List<Long> steps = new ArrayList<>();
        for (long k = 16; k < Math.min(size, 256); k += 16) {
            steps.add(k);
        }
        for (long k = Math.max(16, size - 64); k < size; k += 16) {
            steps.add(k);
        }
        for (long k : steps) {
            long at = block + k;
            for (long wrongSize : new long[] {size, size - k, 16, 64, 80}) {
                if (wrongSize <= 0 || wrongSize > SizeClasses.MAX_SIZE) {
                    continue;
                }
                RuntimeException refused = assertThrows(RuntimeException.class,
                        () -> allocator.freeAddress(at, wrongSize),
                        () -> "freeAddress(block + " + k + ", " + wrongSize + ") of a " + size + " B block");
                if (!(refused instanceof IllegalArgumentException)) {
                    fail("freeAddress(block + " + k + ", " + wrongSize + ") of a " + size + " B block: " + refused);
                }
            }
            // A view inside the block is fine; freeing that view is not.
            MemorySegment inside = allocator.segment(at, size - k);
            assertThrows(IllegalArgumentException.class, () -> allocator.free(inside));
            assertThrows(IllegalArgumentException.class, () -> allocator.segment(at, size - k + 16),
                    () -> "a view from block + " + k + " past the end of a " + size + " B block");
        }
        assertThrows(IllegalArgumentException.class, () -> allocator.segment(block, size + 16));
        assertUnchanged(before);
    }

    @Test
    void aBlockAllocatedWithAnAlignmentIsStillFoundByItsStart() {
        MemorySegment aligned = allocator.allocate(64, 256);
        assertEquals(0, aligned.address() % 256);
        MemStats before = TestSupport.stats(allocator);
        assertThrows(IllegalArgumentException.class, () -> allocator.freeAddress(aligned.address() + 64, 64));
        assertThrows(IllegalArgumentException.class, () -> allocator.freeAddress(aligned.address() + 16, 48));
        assertUnchanged(before);
        allocator.free(aligned);
    }

    @Test
    void aViewOfAFreeBlockIsRefused() {
        long block = allocator.allocateAddress(64);
        long next = allocator.allocateAddress(64);
        allocator.freeAddress(block, 64);
        assertThrows(IllegalArgumentException.class, () -> allocator.segment(block, 64));
        assertThrows(IllegalArgumentException.class, () -> allocator.segment(block + 16, 16));
        // the next block's view is still fine, and bounded by its allocated size
        allocator.segment(next, 64).set(ValueLayout.JAVA_LONG, 56, 1L);
        allocator.freeAddress(next, 64);
    }

    @Test
    void smallClassesRefuseInteriorStartsToo() {
        for (long size : new long[] {16, 32, 48}) {
            long block = allocator.allocateAddress(size);
            MemStats before = TestSupport.stats(allocator);
            for (long k = 16; k < size; k += 16) {
                long at = block + k;
                assertThrows(IllegalArgumentException.class, () -> allocator.freeAddress(at, size - 0));
                assertThrows(IllegalArgumentException.class, () -> allocator.freeAddress(at, 16));
            }
            assertUnchanged(before);
            allocator.freeAddress(block, size);
        }
    }

    private void assertUnchanged(MemStats before) {
        MemStats after = TestSupport.stats(allocator);
        assertEquals(before.inuse(), after.inuse(), "Inuse changed by a refused call");
        assertEquals(before.mallocs(), after.mallocs(), "mallocs changed by a refused call");
        assertEquals(before.frees(), after.frees(), "frees changed by a refused call");
        assertEquals(before.cached() + before.central(), after.cached() + after.central(), "free bytes changed");
        TestSupport.assertConserved(after);
    }
}
