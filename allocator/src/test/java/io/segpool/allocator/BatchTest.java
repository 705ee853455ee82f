package io.segpool.allocator;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link NativeAllocator#allocateBatch} and {@link NativeAllocator#freeBatch}: distinct blocks,
 * the single free's checks on every block, all or nothing (a wrong address anywhere in a batch
 * leaves every block as it was, and each can then be freed alone), and the accounting exact.
 */
@Timeout(60)
class BatchTest {

    private static final long SIZE = 64;

    @Test
    void aBatchHandsOutDistinctBlocksAndTakesThemBack() {
        for (AllocatorConfig config : configs()) {
            try (NativeAllocator allocator = NativeAllocator.create(config)) {
                long[] blocks = new long[1000];
                allocator.allocateBatch(SIZE, blocks, 0, blocks.length);
                Set<Long> seen = new HashSet<>();
                for (long block : blocks) {
                    assertEquals(0, block % 16, "16-byte aligned");
                    assertTrue(seen.add(block), "block 0x" + Long.toHexString(block) + " handed out twice");
                    allocator.segment(block, SIZE).set(ValueLayout.JAVA_LONG, 0, block);
                }
                MemStats held = TestSupport.stats(allocator);
                assertEquals(blocks.length * SIZE, held.inuse(), config.toString());
                for (long block : blocks) {
                    assertEquals(block, allocator.segment(block, SIZE).get(ValueLayout.JAVA_LONG, 0), "no block overlaps");
                }
                allocator.freeBatch(SIZE, blocks, 0, blocks.length);
                MemStats after = TestSupport.stats(allocator);
                assertEquals(0, after.inuse(), config.toString());
                assertEquals(after.mallocs(), after.frees());
                TestSupport.assertConserved(after);
            }
        }
    }

    @Test
    void aWrongAddressAnywhereRefusesTheWholeBatch() {
        try (NativeAllocator allocator = NativeAllocator.create();
             NativeAllocator other = NativeAllocator.create()) {
            long[] blocks = new long[40];
            allocator.allocateBatch(SIZE, blocks, 0, blocks.length);
            long freed = allocator.allocateAddress(SIZE);
            allocator.freeAddress(freed, SIZE);
            long wide = allocator.allocateAddress(128);
            long foreign = other.allocateAddress(SIZE);
            refusedAtEveryPlace(allocator, blocks, IllegalArgumentException.class, b -> b[0] + 16); // interior
            refusedAtEveryPlace(allocator, blocks, IllegalArgumentException.class, b -> foreign);
            refusedAtEveryPlace(allocator, blocks, IllegalArgumentException.class, b -> wide); // another size
            refusedAtEveryPlace(allocator, blocks, IllegalArgumentException.class, b -> 0x10L); // no block there
            refusedAtEveryPlace(allocator, blocks, IllegalStateException.class, b -> freed); // already free
            refusedAtEveryPlace(allocator, blocks, IllegalStateException.class, b -> b[7]); // named twice
            allocator.freeBatch(SIZE, blocks, 0, blocks.length); // every block is still handed out
            allocator.freeAddress(wide, 128);
            other.freeAddress(foreign, SIZE);
            MemStats after = TestSupport.stats(allocator);
            assertEquals(0, after.inuse());
            TestSupport.assertConserved(after);
        }
    }

    /** Puts {@code wrong(blocks)} at each index of a copy in turn: each batch is refused and changes nothing. */
    private static void refusedAtEveryPlace(NativeAllocator allocator, long[] blocks, Class<? extends RuntimeException> type,
                                            java.util.function.ToLongFunction<long[]> wrong) {
        MemStats before = TestSupport.stats(allocator);
        for (int at = 0; at < blocks.length; at += 13) {
            long[] batch = blocks.clone();
            long bad = wrong.applyAsLong(blocks);
            if (batch[at] == bad) {
                continue;
            }
            batch[at] = bad;
            RuntimeException e = assertThrows(RuntimeException.class, () -> allocator.freeBatch(SIZE, batch, 0, batch.length));
            assertTrue(type.isInstance(e), "a " + type.getSimpleName() + " expected at index " + at + ": " + e);
            MemStats now = TestSupport.stats(allocator);
            assertEquals(before.inuse(), now.inuse(), "nothing freed: " + e.getMessage());
            assertEquals(before.frees(), now.frees());
        }
    }

    @Test
    void badArgumentsAreRefusedWithNothingChanged() {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            long[] blocks = new long[4];
            assertThrows(IndexOutOfBoundsException.class, () -> allocator.allocateBatch(SIZE, blocks, 2, 3));
            assertThrows(IndexOutOfBoundsException.class, () -> allocator.allocateBatch(SIZE, blocks, -1, 1));
            assertThrows(IndexOutOfBoundsException.class, () -> allocator.freeBatch(SIZE, blocks, 0, 5));
            var e = assertThrows(IllegalArgumentException.class, () -> allocator.allocateBatch(2 << 20, blocks, 0, 1));
            assertTrue(e.getMessage().contains(String.valueOf(2 << 20)), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> allocator.allocateBatch(-1, blocks, 0, 1));
            allocator.allocateBatch(SIZE, blocks, 0, 0);
            allocator.freeBatch(SIZE, blocks, 0, 0);
            assertEquals(0, TestSupport.stats(allocator).mallocs());
        }
    }

    @Test
    void aBatchRefusedByTheLimitGivesBackWhatItTook() {
        long limit = 4L << 20;
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withMemoryLimit(limit))) {
            long[] blocks = new long[(int) (2 * limit / 4096)];
            assertThrows(MemoryLimitException.class, () -> allocator.allocateBatch(4096, blocks, 0, blocks.length));
            MemStats after = TestSupport.stats(allocator);
            assertEquals(0, after.inuse(), "the blocks taken before the refusal went back");
            TestSupport.assertConserved(after);
            allocator.allocateBatch(4096, blocks, 0, 100); // and the allocator still serves
            allocator.freeBatch(4096, blocks, 0, 100);
        }
    }

    @Test
    void batchesCrossThreadsAndRunOnVirtualThreads() throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            long[] blocks = new long[500];
            TestThreads.Failure failure = new TestThreads.Failure();
            TestThreads.joinAll(TestThreads.startVirtual(failure, () -> allocator.allocateBatch(SIZE, blocks, 0, blocks.length)));
            failure.rethrow("virtual allocateBatch");
            TestThreads.joinAll(TestThreads.start("freer", failure, () -> allocator.freeBatch(SIZE, blocks, 0, 250)));
            failure.rethrow("platform freeBatch");
            TestThreads.joinAll(TestThreads.startVirtual(failure, () -> allocator.freeBatch(SIZE, blocks, 250, 250)));
            failure.rethrow("virtual freeBatch");
            MemStats after = TestSupport.stats(allocator);
            assertEquals(0, after.inuse());
            TestSupport.assertConserved(after);
        }
    }

    @Test
    void aHeldCacheBatchesAndRefusesOtherThreads() throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            ThreadCache cache = allocator.threadCache();
            long[] blocks = new long[64];
            cache.allocateBatch(SIZE, blocks, 0, blocks.length);
            Throwable[] thrown = new Throwable[1];
            TestThreads.joinAll(Thread.ofPlatform().start(() -> {
                try {
                    cache.freeBatch(SIZE, blocks, 0, blocks.length);
                } catch (Throwable t) {
                    thrown[0] = t;
                }
            }));
            assertTrue(thrown[0] instanceof WrongThreadException, String.valueOf(thrown[0]));
            cache.freeBatch(SIZE, blocks, 0, blocks.length);
            assertEquals(0, TestSupport.stats(allocator).inuse());
        }
    }

    private static AllocatorConfig[] configs() {
        AllocatorConfig defaults = AllocatorConfig.defaults();
        return new AllocatorConfig[] {defaults, defaults.withCheckFrees(false), defaults.withDebug(true),
                defaults.withZeroed(true)};
    }
}
