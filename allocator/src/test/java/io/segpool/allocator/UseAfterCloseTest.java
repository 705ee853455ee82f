package io.segpool.allocator;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a held cache does after {@code close()}. The hot path does not read a {@code closed} flag:
 * with free checks on, its first block-state access goes through the closed heap segment and throws
 * {@link IllegalStateException}; with checks off, a ring hit hands out a segment of the closed
 * heap, which throws on its first touch, and the next refill or spill throws. Either way nothing
 * touches unmapped memory.
 */
class UseAfterCloseTest {

    @Test
    void aCheckedHeldCacheRefusesEveryCallAfterClose() {
        NativeAllocator allocator = NativeAllocator.create();
        ThreadCache cache = allocator.threadCache();
        MemorySegment live = cache.allocate(64);
        cache.free(cache.allocate(64)); // a block stays in the ring: the next allocate is a ring hit
        allocator.close();
        for (Runnable call : new Runnable[] {() -> cache.allocate(64), () -> cache.free(live),
                () -> cache.allocateAddress(64), () -> cache.freeAddress(live.address(), 64),
                () -> live.get(ValueLayout.JAVA_BYTE, 0)}) {
            IllegalStateException refused = assertThrows(IllegalStateException.class, call::run);
            assertTrue(refused.getMessage().contains("closed"), refused.getMessage());
        }
    }

    @Test
    void anUncheckedHeldCacheHandsOutOnlyDeadSegmentsAfterClose() {
        NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withCheckFrees(false));
        ThreadCache cache = allocator.threadCache();
        cache.free(cache.allocate(64));
        allocator.close();
        IllegalStateException refused = null;
        for (int i = 0; i <= NativeAllocator.MAX_BATCH && refused == null; i++) {
            try {
                MemorySegment stale = cache.allocate(64);
                IllegalStateException touched = assertThrows(IllegalStateException.class,
                        () -> stale.set(ValueLayout.JAVA_LONG, 0, 1));
                assertTrue(touched.getMessage().contains("closed"), touched.getMessage());
            } catch (IllegalStateException e) {
                refused = e;
            }
        }
        assertTrue(refused != null && refused.getMessage().contains("closed"), "the refill after close is refused");
    }

    /**
     * An address is not a segment: nothing stops native code that is handed one after close from
     * touching unmapped memory. So a held cache with checks off must refuse allocateAddress after
     * close even on a ring hit (issue 17 item 8: today the ring hands out an address inside the
     * unmapped reservation).
     */
    @Test
    void anUncheckedHeldCacheHandsOutNoAddressAfterClose() {
        NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withCheckFrees(false));
        ThreadCache cache = allocator.threadCache();
        cache.freeAddress(cache.allocateAddress(64), 64); // a block stays in the ring: the next take is a ring hit
        allocator.close();
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> cache.allocateAddress(64),
                "a ring hit after close handed out an address in unmapped memory");
        assertTrue(refused.getMessage().contains("closed"), refused.getMessage());
    }
}
