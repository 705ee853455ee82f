package io.segpool.allocator;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;

/**
 * The heaps of the allocators open in this JVM, held weakly, for one purpose: a free of another
 * allocator's block is refused as belonging to another allocator rather than as a foreign address.
 * Touched at create, close and refusals only.
 */
final class OpenHeaps {

    private static final List<WeakReference<Heap>> OPEN = new ArrayList<>();

    private OpenHeaps() {
    }

    static synchronized void add(Heap heap) {
        OPEN.removeIf(ref -> ref.get() == null);
        OPEN.add(new WeakReference<>(heap));
    }

    static synchronized void remove(Heap heap) {
        OPEN.removeIf(ref -> ref.get() == null || ref.get() == heap);
    }

    /** The heap of an open allocator that holds {@code address}, or null. */
    static synchronized Heap ownerOf(long address) {
        for (WeakReference<Heap> ref : OPEN) {
            Heap heap = ref.get();
            if (heap != null && Long.compareUnsigned(address - heap.base, heap.topAcquire()) < 0) {
                return heap;
            }
        }
        return null;
    }
}
