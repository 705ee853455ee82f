package io.segpool.pools;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StackPoolTest {

    @ParameterizedTest
    @ValueSource(longs = {4096, 8192, 16384, 65536, 262144, 1 << 20})
    void segmentsArePageAlignedAndCountedInStackSys(long segmentSize) {
        try (StackPool pool = StackPool.create(segmentSize)) {
            MemorySegment[] held = new MemorySegment[40];
            for (int i = 0; i < held.length; i++) {
                held[i] = pool.allocate();
                assertEquals(0, held[i].address() % StackPool.PAGE, "segment at 0x" + Long.toHexString(held[i].address()));
                assertEquals(segmentSize, held[i].byteSize());
                held[i].set(java.lang.foreign.ValueLayout.JAVA_LONG, segmentSize - 8, i);
            }
            MemStats stats = new MemStats();
            pool.readPoolStats(stats);
            assertEquals(held.length * segmentSize, stats.stackInuse());
            assertTrue(stats.stackSys() >= stats.stackInuse());
            assertEquals(0, stats.sys(), "readPoolStats touches only the stack fields");
            for (MemorySegment segment : held) {
                pool.free(segment);
            }
            pool.readPoolStats(stats);
            assertEquals(0, stats.stackInuse());
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {-8192, 0, 2048, 3000, 12288, 2 << 20})
    void segmentSizesOutsideTheRuleAreRefused(long segmentSize) {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> StackPool.create(segmentSize));
        assertTrue(refused.getMessage().contains(Long.toString(segmentSize)), refused.getMessage());
        assertTrue(refused.getMessage().contains("power of two"), refused.getMessage());
    }

    @Test
    void aSegmentFromElsewhereIsRefusedAndChangesNothing() {
        try (StackPool pool = StackPool.create(); Arena arena = Arena.ofConfined()) {
            MemorySegment kept = pool.allocate();
            MemStats before = new MemStats();
            pool.readMemStats(before);
            assertThrows(IllegalArgumentException.class, () -> pool.free(arena.allocate(8192)));
            assertThrows(IllegalArgumentException.class, () -> pool.free(arena.allocate(100)));
            assertThrows(IllegalArgumentException.class, () -> pool.free(kept.asSlice(0, 4096)));
            MemStats after = new MemStats();
            pool.readMemStats(after);
            assertEquals(before, after);
            pool.free(kept);
            assertThrows(IllegalStateException.class, () -> pool.free(kept), "double free");
        }
    }
}
