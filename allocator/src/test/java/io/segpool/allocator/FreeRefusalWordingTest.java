package io.segpool.allocator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Attacks on {@link NativeAllocator#freeAddress(long, long)} with a wrong size: the
 * refusal must name the rule the call broke. A size above the classes on a free block is a double
 * free, and (with checks off, when no state is kept) a size too big for the block's class names the
 * class; neither may say the block "was allocated with -1", as {@code BlockChecks.refuseFree} once
 * did, reading the state table's -1 for a free or untracked block as a size.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FreeRefusalWordingTest {

    @Test
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
    void anUncheckedFreeTooBigForTheClassNamesTheClassNotMinusOne() {
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withCheckFrees(false))) {
            long block = allocator.allocateAddress(48);
            var e = assertThrows(IllegalArgumentException.class, () -> allocator.freeAddress(block, 64));
            assertFalse(e.getMessage().contains("-1"), e.getMessage());
            allocator.freeAddress(block, 48); // nothing changed
        }
    }
}
