package io.segpool.allocator;

import io.segpool.stats.MemStats;
import io.segpool.testsupport.SpscLongQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The benchmark ablations must hand out distinct blocks and differ from segpool where the seeds say. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AblationsTest {

    @ParameterizedTest
    @ValueSource(strings = {"bounded", "none", "unbounded"})
    void everyModeHandsOutDistinctUsableBlocks(String mode) {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            Ablations.Pair pair = Ablations.pair(mode, allocator);
            long[] held = new long[500];
            Set<Long> live = new HashSet<>();
            for (int round = 0; round < 20; round++) {
                for (int i = 0; i < held.length; i++) {
                    held[i] = pair.allocateAddress(48);
                    assertTrue(live.add(held[i]), mode + ": block handed out twice");
                    allocator.segment(held[i], 48).set(ValueLayout.JAVA_LONG, 40, held[i]);
                }
                for (long block : held) {
                    assertEquals(block, allocator.segment(block, 48).get(ValueLayout.JAVA_LONG, 40));
                    pair.freeAddress(block, 48);
                    live.remove(block);
                }
                MemorySegment segment = pair.allocate(64);
                segment.set(ValueLayout.JAVA_LONG, 56, 7L);
                pair.free(segment);
            }
            TestSupport.assertConserved(TestSupport.stats(allocator));
        }
    }

    @Test
    void theNoCacheAblationChecksItsFrees() {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            Ablations.Pair pair = Ablations.noCache(allocator);
            long block = pair.allocateAddress(64);
            pair.freeAddress(block, 64);
            assertThrows(IllegalArgumentException.class, () -> pair.freeAddress(block, 64));
            assertThrows(IllegalArgumentException.class, () -> pair.freeAddress(block + 16, 64));
            MemStats stats = TestSupport.stats(allocator);
            assertEquals(0, stats.inuse());
            assertFalse(stats.central() == 0, "the block went back to the central stack");
        }
    }

    /** Seed 001's "before": a thread that only frees keeps every block, so Sys grows with the count. */
    @Test
    void unboundedCachesGrowSysWithTheCountAndBoundedOnesDoNot() throws Exception {
        long bounded = crossThreadSys("bounded", 200_000);
        long unbounded = crossThreadSys("unbounded", 200_000);
        assertTrue(bounded <= 256 * 1024, "bounded Sys " + bounded);
        assertTrue(unbounded >= 190_000L * 64, "unbounded Sys " + unbounded + " should hold nearly every block");
    }

    private static long crossThreadSys(String mode, int blocks) throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            SpscLongQueue queue = new SpscLongQueue(1024);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread consumer = Thread.ofPlatform().start(() -> {
                Ablations.Pair frees = Ablations.pair(mode, allocator);
                try {
                    for (int i = 0; i < blocks; i++) {
                        frees.freeAddress(queue.take(), 64);
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            Ablations.Pair allocations = Ablations.pair(mode, allocator);
            for (int i = 0; i < blocks && failure.get() == null; i++) {
                queue.put(allocations.allocateAddress(64));
            }
            consumer.join(60_000);
            assertFalse(consumer.isAlive(), "the consumer hung");
            assertNull(failure.get());
            return TestSupport.stats(allocator).sys();
        }
    }
}
