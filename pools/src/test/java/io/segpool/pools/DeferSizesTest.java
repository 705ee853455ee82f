package io.segpool.pools;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Seed 000's {@code testdefersizes}: the start-up check passes for the real header and fails for wrong ones. */
class DeferSizesTest {

    @Test
    void theFortyByteHeaderMapsEachDeferClassToOneAllocatorClass() {
        assertArrayEquals(new long[] {48, 64, 80, 96, 112}, DeferBlocks.checkClassMapping(DeferBlocks.HEADER));
        assertArrayEquals(DeferBlocks.CLASS_BLOCK_SIZE, DeferBlocks.checkClassMapping(40));
    }

    @ParameterizedTest
    @ValueSource(longs = {16, 32, 48, 64})
    void aHeaderThatSplitsAClassFailsLoudly(long header) {
        IllegalStateException failed = assertThrows(IllegalStateException.class,
                () -> DeferBlocks.checkClassMapping(header));
        assertTrue(failed.getMessage().startsWith("bad defer size class"), failed.getMessage());
        assertTrue(failed.getMessage().contains(header + "-byte header"), failed.getMessage());
    }

    @Test
    void deferClassesFollowTheSeedsFormula() {
        assertEquals(0, DeferBlocks.deferClass(0));
        assertEquals(0, DeferBlocks.deferClass(8));
        assertEquals(1, DeferBlocks.deferClass(9));
        assertEquals(1, DeferBlocks.deferClass(24));
        assertEquals(4, DeferBlocks.deferClass(72));
        assertEquals(5, DeferBlocks.deferClass(73));
        assertEquals(40 + 80, DeferBlocks.blockSize(73), "a larger defer gets exactly header + args rounded to 8");
    }
}
