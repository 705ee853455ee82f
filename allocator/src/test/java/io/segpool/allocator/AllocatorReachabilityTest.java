package io.segpool.allocator;

import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;

import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A long-lived thread that used an allocator must not keep it reachable once it is closed and
 * dropped: platform threads find their caches in the allocator's own table, not in a
 * {@code ThreadLocal}, so nothing the thread holds points back to the allocator.
 */
class AllocatorReachabilityTest {

    @Test
    void aClosedAllocatorIsCollectedThoughItsThreadLivesOn() {
        WeakReference<NativeAllocator> ref = useAndClose();
        for (int i = 0; i < 50 && ref.get() != null; i++) {
            System.gc(); // asks for the collection whose result is checked; bounded, not a timing wait
        }
        assertNull(ref.get(), "the closed allocator is still reachable from this thread");
    }

    private static WeakReference<NativeAllocator> useAndClose() {
        NativeAllocator allocator = NativeAllocator.create();
        allocator.free(allocator.allocate(64));
        allocator.threadCache().free(allocator.threadCache().allocate(128));
        allocator.close();
        return new WeakReference<>(allocator);
    }
}
