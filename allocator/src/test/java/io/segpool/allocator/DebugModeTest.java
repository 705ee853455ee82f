package io.segpool.allocator;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Debug mode: a write into a block after its free is caught when the block is handed out again,
 * with its address, its size class and the line that freed it; clean use is never reported.
 */
class DebugModeTest {

    private static final int PLANTS = 1000;
    private static final long SEED = 0x5E6_9001L;

    @Test
    void aWriteAfterFreeThroughAStaleAddressIsCaughtOnTheNextAllocationOfThatBlock() {
        SplittableRandom random = new SplittableRandom(SEED);
        long quarantined = 0;
        int caught = 0;
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withDebug(true))) {
            for (int plant = 0; plant < PLANTS; plant++) {
                long size = 8 + random.nextInt(plant % 10 == 0 ? (int) SizeClasses.MAX_SIZE - 8 : 4096);
                long address = allocator.allocateAddress(size);
                // A raw view made while the block was live: the kind of pointer that outlives a free.
                MemorySegment stale = MemorySegment.ofAddress(address).reinterpret(size);
                allocator.freeAddress(address, size);
                long offset = random.nextLong(size - 7) & -8;
                stale.set(ValueLayout.JAVA_LONG_UNALIGNED, offset, AllocatorConfig.POISON ^ (1 + random.nextLong(255)));

                IllegalStateException thrown = assertThrows(IllegalStateException.class,
                        () -> allocator.allocateAddress(size), "plant " + plant + " of " + size + " bytes");
                long classSize = SizeClasses.size(SizeClasses.classOf(size));
                String message = thrown.getMessage();
                for (String word : List.of("write after free", "0x" + Long.toHexString(address),
                        classSize + "-byte size class", "byte " + offset, "DebugModeTest.java")) {
                    assertTrue(message.contains(word), "'" + word + "' missing from: " + message);
                }
                caught++;
                quarantined += classSize;
            }
            MemStats stats = TestSupport.stats(allocator);
            assertEquals(quarantined, stats.inuse(), "every caught block is kept out of use\n" + stats);
            TestSupport.assertConserved(stats);
        }
        assertEquals(PLANTS, caught);
        System.out.printf("debug mode: %d writes after free caught out of %d planted (seed %d)%n", caught, PLANTS, SEED);
    }

    @Test
    void aWriteThroughTheFreedSegmentItselfIsCaughtAndNamesTheFree() {
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withDebug(true))) {
            MemorySegment block = allocator.allocate(100);
            allocator.free(block);
            // The chunk is live, so the segment's scope still lets this through: only the poison sees it.
            block.set(ValueLayout.JAVA_BYTE, 99, (byte) 1);
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> allocator.allocate(100));
            assertTrue(thrown.getMessage().contains("112-byte size class was changed at byte 99"), thrown.getMessage());
            Throwable freedAt = thrown.getCause();
            assertTrue(freedAt.getMessage().contains("freed here"), freedAt.getMessage());
            assertTrue(List.of(freedAt.getStackTrace()).stream().anyMatch(frame ->
                    frame.getMethodName().equals("aWriteThroughTheFreedSegmentItselfIsCaughtAndNamesTheFree")));
            // The allocator goes on: the next block is another one, clean.
            MemorySegment next = allocator.allocate(100);
            assertFalse(next.address() == block.address(), "a caught block is never handed out again");
            allocator.free(next);
        }
    }

    @Test
    void cleanUseAcrossRingsCentralAndThreadsIsNeverReported() throws Exception {
        SplittableRandom random = new SplittableRandom(SEED + 1);
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withDebug(true))) {
            List<MemorySegment> held = new ArrayList<>();
            for (int op = 0; op < 20_000; op++) {
                if (held.isEmpty() || (held.size() < 200 && random.nextBoolean())) {
                    MemorySegment block = allocator.allocate(1 + random.nextInt(2048));
                    block.fill((byte) op);
                    held.add(block);
                } else {
                    allocator.free(held.remove(random.nextInt(held.size())));
                }
            }
            // Blocks freed on another thread travel through its ring and the central stack back here.
            TestThreads.Failure failure = new TestThreads.Failure();
            Thread other = TestThreads.start("other", failure, () -> held.forEach(allocator::free));
            TestThreads.joinAll(other);
            failure.rethrow("a free on the other thread was refused");
            allocator.trim();
            for (int i = 0; i < 2000; i++) {
                allocator.free(allocator.allocate(1 + random.nextInt(2048)));
            }
            MemStats stats = TestSupport.stats(allocator);
            assertEquals(0, stats.inuse());
            TestSupport.assertConserved(stats);
        }
    }

    @Test
    void debugModeIsOffByDefaultAndNeedsFreeChecks() {
        assertFalse(AllocatorConfig.defaults().debug());
        IllegalArgumentException thrown = assertThrows(IllegalArgumentException.class,
                () -> AllocatorConfig.defaults().withCheckFrees(false).withDebug(true));
        assertTrue(thrown.getMessage().contains("debug mode needs checkFrees"), thrown.getMessage());
    }
}
