package io.segpool.allocator;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Attacks on {@link NativeAllocator#freeBatch} and {@link NativeAllocator#allocateBatch}
 * through the public API. The batch's Javadoc promises "the exception a single free would throw, and
 * no block changes": the first test holds every mode and class to that, entry by entry, against the
 * single {@code freeAddress} of the same wrong address. {@link BatchTest} checks the default mode and
 * the 64 B class only, by exception type.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BatchAttackTest {

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);
    private static final long[] SIZES = {0, 16, 48, 64, 80, 4096, NativeAllocator.MAX_CLASS_SIZE};

    /** A wrong address for a batch, and what makes it wrong. */
    private record Wrong(String what, long address) {
    }

    @Test
    void everyWrongEntryGetsTheSingleFreesExceptionInEveryModeAndClass() {
        AllocatorConfig d = AllocatorConfig.defaults();
        AllocatorConfig[] modes = {d, d.withCheckFrees(false), d.withDebug(true), d.withZeroed(true),
                d.withLeakTracking(AllocatorConfig.LeakTracking.EVERY), d.withZeroed(true).withCheckFrees(false)};
        for (AllocatorConfig mode : modes) {
            for (long size : SIZES) {
                refusalsMatchTheSingleFree(mode, size);
            }
        }
    }

    private static void refusalsMatchTheSingleFree(AllocatorConfig mode, long size) {
        int n = size == NativeAllocator.MAX_CLASS_SIZE ? 5 : 40;
        try (NativeAllocator allocator = NativeAllocator.create(mode); NativeAllocator other = NativeAllocator.create()) {
            long[] blocks = new long[n];
            allocator.allocateBatch(size, blocks, 0, n);
            long foreign = other.allocateAddress(size);
            boolean wider = size < 4096;
            long wide = wider ? allocator.allocateAddress(2 * size + 16) : 0; // another class
            boolean shorter = size > 0 && NativeAllocator.blockSize(size - 1) == NativeAllocator.blockSize(size);
            long shortBlock = shorter ? allocator.allocateAddress(size - 1) : 0; // same class, another size
            long freed = allocator.allocateAddress(size); // last: no later allocation takes it back
            allocator.freeAddress(freed, size);
            List<Wrong> wrongs = new ArrayList<>(List.of(new Wrong("misaligned", blocks[1] + 8),
                    new Wrong("another allocator's", foreign), new Wrong("0", 0), new Wrong("-16", -16),
                    new Wrong("Long.MIN_VALUE", Long.MIN_VALUE), new Wrong("Long.MAX_VALUE & -16", Long.MAX_VALUE & -16)));
            if (mode.checkFrees()) { // unchecked keeps no state: the single free accepts these
                wrongs.add(new Wrong("freed", freed));
                if (NativeAllocator.blockSize(size) > 16) {
                    wrongs.add(new Wrong("interior", blocks[1] + 16));
                }
                if (wider) {
                    wrongs.add(new Wrong("another class", wide));
                }
                if (shorter) {
                    wrongs.add(new Wrong("another size", shortBlock));
                }
            }
            String where = mode + ", " + size + " B: ";
            for (Wrong wrong : wrongs) {
                RuntimeException single = assertThrows(RuntimeException.class, () -> allocator.freeAddress(wrong.address(), size),
                        where + "the single free of the " + wrong.what() + " address");
                for (int at : new int[] {0, n / 2, n - 1}) {
                    long[] batch = blocks.clone();
                    batch[at] = wrong.address();
                    MemStats before = TestSupport.stats(allocator);
                    RuntimeException e = assertThrows(RuntimeException.class, () -> allocator.freeBatch(size, batch, 0, n));
                    String label = where + wrong.what() + " at " + at + ": ";
                    assertEquals(single.getClass(), e.getClass(), label + e);
                    assertEquals(single.getMessage(), e.getMessage(), label);
                    MemStats now = TestSupport.stats(allocator);
                    assertEquals(before.inuse(), now.inuse(), label + "Inuse");
                    assertEquals(before.frees(), now.frees(), label + "Frees");
                    assertEquals(before.mallocs(), now.mallocs(), label + "Mallocs");
                }
            }
            allocator.freeBatch(size, blocks, 0, n); // every block was still handed out
            if (wider) {
                allocator.freeAddress(wide, 2 * size + 16);
            }
            if (shorter) {
                allocator.freeAddress(shortBlock, size - 1);
            }
            other.freeAddress(foreign, size);
            MemStats after = TestSupport.stats(allocator);
            assertEquals(0, after.inuse(), mode + ", " + size + " B");
            assertEquals(after.mallocs(), after.frees());
            TestSupport.assertConserved(after);
        }
    }

    @Test
    void overlappingBatchesAlignedBlocksAndOverflowingBoundsChangeNothing() {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            long[] blocks = new long[15];
            allocator.allocateBatch(64, blocks, 0, blocks.length);
            allocator.freeBatch(64, blocks, 0, 10);
            MemStats before = TestSupport.stats(allocator);
            var twice = assertThrows(IllegalStateException.class, () -> allocator.freeBatch(64, blocks, 5, 10));
            assertTrue(twice.getMessage().contains("double free"), twice.getMessage());
            assertEquals(before.inuse(), TestSupport.stats(allocator).inuse(), "blocks 10 to 14 stay handed out");

            long aligned = allocator.allocate(64, 256).address(); // a 256 B class block handed out with 64 bytes
            long[] mixed = {blocks[10], aligned, blocks[11]};
            var wrongClass = assertThrows(IllegalArgumentException.class, () -> allocator.freeBatch(64, mixed, 0, 3));
            assertTrue(wrongClass.getMessage().contains(Long.toHexString(aligned)), wrongClass.getMessage());
            allocator.freeAddress(aligned, 64); // still handed out: the single free takes it

            for (int[] bounds : new int[][] {{Integer.MAX_VALUE, 1}, {1, Integer.MAX_VALUE}, {0, -1},
                    {Integer.MIN_VALUE, 1}, {15, 1}, {16, 0}}) {
                assertThrows(IndexOutOfBoundsException.class, () -> allocator.freeBatch(64, blocks, bounds[0], bounds[1]));
                assertThrows(IndexOutOfBoundsException.class, () -> allocator.allocateBatch(64, blocks, bounds[0], bounds[1]));
                assertThrows(IndexOutOfBoundsException.class, () -> allocator.allocateBatch(-1, blocks, bounds[0], bounds[1]),
                        "the bounds are checked first");
            }
            assertEquals(before.inuse(), TestSupport.stats(allocator).inuse());
            allocator.freeBatch(64, blocks, 10, 5);
            MemStats after = TestSupport.stats(allocator);
            assertEquals(0, after.inuse());
            TestSupport.assertConserved(after);
        }
    }

    /**
     * The OS refuses a chunk part way through a batch that needs several (every commit after the
     * third): the batch throws the OS refusal, gives back every block it took, and the allocator
     * serves the same batch once the OS gives memory again. In every mode, since the extras modes
     * take their blocks one by one.
     */
    @Test
    void anOsRefusalPartWayThroughABatchGivesBackWhatItTookInEveryMode() {
        AllocatorConfig d = AllocatorConfig.defaults();
        for (AllocatorConfig mode : new AllocatorConfig[] {d, d.withCheckFrees(false), d.withDebug(true),
                d.withZeroed(true), d.withLeakTracking(AllocatorConfig.LeakTracking.EVERY)}) {
            FailingMapper edges = new FailingMapper();
            try (NativeAllocator allocator = NativeAllocator.create(mode, edges)) {
                long[] blocks = new long[3000];
                java.util.concurrent.atomic.AtomicInteger commits = new java.util.concurrent.atomic.AtomicInteger();
                edges.refuseWhen(length -> commits.incrementAndGet() > 3);
                assertThrows(OutOfMemoryError.class, () -> allocator.allocateBatch(4096, blocks, 0, blocks.length), mode::toString);
                assertTrue(edges.refused() > 0, mode::toString);
                MemStats refused = TestSupport.stats(allocator);
                assertEquals(0, refused.inuse(), () -> mode + ": the blocks taken before the refusal went back\n" + refused);
                assertEquals(refused.mallocs(), refused.frees(), mode::toString);
                TestSupport.assertConserved(refused);
                edges.failing(false);
                allocator.allocateBatch(4096, blocks, 0, blocks.length);
                allocator.freeBatch(4096, blocks, 0, blocks.length);
                MemStats after = TestSupport.stats(allocator);
                assertEquals(0, after.inuse(), mode::toString);
                TestSupport.assertConserved(after);
            }
        }
    }

    /**
     * A live large block of this allocator in a batch: the single free refuses it as a wrong
     * size of that block, and so must the batch (not "not from this allocator").
     */
    @Test
    void aLiveLargeBlockInABatchIsRefusedAsTheSingleFreeRefusesIt() {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            long[] blocks = new long[3];
            allocator.allocateBatch(64, blocks, 0, 3);
            long large = allocator.allocateAddress(2 << 20);
            blocks[1] = large;
            var single = assertThrows(IllegalArgumentException.class, () -> allocator.freeAddress(large, 64));
            var batch = assertThrows(IllegalArgumentException.class, () -> allocator.freeBatch(64, blocks, 0, 3));
            assertFalse(batch.getMessage().contains("not from this allocator"), batch.getMessage());
            assertEquals(single.getMessage(), batch.getMessage());
        }
    }

    /**
     * The batch reads each address twice: once to check and mark it free, once to put it in the
     * ring. A caller thread that changes the array in between (here: once the last block is
     * marked free, its entry becomes a block the test still holds) got the held block onto a
     * free list and the checked one lost: the next allocations handed the held block out again.
     * The batch now reads the array once, into a copy.
     */
    @Test
    void anEntryChangedAfterItsCheckNeverReachesAFreeList() throws Exception {
        int n = 200_000;
        try (NativeAllocator allocator = NativeAllocator.create()) {
            long[] blocks = new long[n];
            for (int round = 0; round < 10; round++) {
                allocator.allocateBatch(64, blocks, 0, n);
                long held = allocator.allocateAddress(64);
                long last = blocks[n - 1];
                CountDownLatch polling = new CountDownLatch(1);
                Thread swapper = Thread.ofPlatform().start(() -> {
                    polling.countDown();
                    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                    while (System.nanoTime() < deadline) {
                        try {
                            allocator.segment(last, 64);
                        } catch (IllegalArgumentException markedFree) {
                            SLOT.setVolatile(blocks, n - 1, held);
                            return;
                        }
                    }
                });
                assertTrue(polling.await(20, TimeUnit.SECONDS));
                allocator.freeBatch(64, blocks, 0, n);
                swapper.join(Duration.ofSeconds(30));
                long[] again = new long[n + 1];
                allocator.allocateBatch(64, again, 0, again.length);
                for (long block : again) {
                    assertNotEquals(held, block, "round " + round + ": the held block 0x" + Long.toHexString(held)
                            + " was handed out again while its owner holds it");
                }
                allocator.freeBatch(64, again, 0, again.length);
                allocator.freeAddress(held, 64);
            }
        }
    }
}
