package io.segpool.allocator;

import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The review's attacks on {@link NativeAllocator#freeAddress(long, long)} with a wrong size: the
 * refusal must name the rule the call broke. A size above the classes on a free block, and (with
 * checks off) a size too big for the block's class, are refused by {@code BlockChecks.refuseFree},
 * which reads the size the block was handed out with from the state table: -1 for a free block,
 * and always -1 with checks off, since no state is kept.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReviewAddressAttackTest {

    @Test
    @Disabled("defect: BlockChecks.refuseFree builds Refusals.wrongSize from handedOutSize = -1 for a free block:"
            + " 'the block was allocated with -1', where a double free is meant")
    void aFreeBlockFreedWithASizeAboveTheClassesIsNotSaidToBeAllocatedWithMinusOne() {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            long block = allocator.allocateAddress(64);
            allocator.freeAddress(block, 64);
            RuntimeException e = assertThrows(RuntimeException.class, () -> allocator.freeAddress(block, 2 << 20));
            assertFalse(e.getMessage().contains("allocated with -1"), e.getMessage());
            assertEquals(IllegalStateException.class, e.getClass(), "a free block, as a double free is: " + e);
        }
    }

    @Test
    @Disabled("defect: with checkFrees off BlockChecks.refuseFree still reads the (never written) state table, so a"
            + " size too big for the block's class is refused as 'allocated with -1'")
    void anUncheckedFreeTooBigForTheClassNamesTheClassNotMinusOne() {
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withCheckFrees(false))) {
            long block = allocator.allocateAddress(48);
            var e = assertThrows(IllegalArgumentException.class, () -> allocator.freeAddress(block, 64));
            assertFalse(e.getMessage().contains("-1"), e.getMessage());
            allocator.freeAddress(block, 48); // nothing changed
        }
    }
}
