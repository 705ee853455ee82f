package io.segpool.allocator;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;

/**
 * The allocators open in this JVM, held weakly, for one purpose: a free of another allocator's
 * block is refused as "belongs to another NativeAllocator" rather than as a foreign address.
 * Touched at create, close and refusals only.
 */
final class OpenAllocators {

    private static final List<WeakReference<NativeAllocator>> OPEN = new ArrayList<>();

    private OpenAllocators() {
    }

    static synchronized void add(NativeAllocator allocator) {
        OPEN.removeIf(ref -> ref.get() == null);
        OPEN.add(new WeakReference<>(allocator));
    }

    static synchronized void remove(NativeAllocator allocator) {
        OPEN.removeIf(ref -> ref.get() == null || ref.get() == allocator);
    }

    /** The open allocator whose heap holds {@code address}, or null. */
    static synchronized NativeAllocator ownerOf(long address) {
        for (WeakReference<NativeAllocator> ref : OPEN) {
            NativeAllocator allocator = ref.get();
            if (allocator != null && Long.compareUnsigned(address - allocator.heap.base, allocator.heap.topAcquire()) < 0) {
                return allocator;
            }
        }
        return null;
    }
}
