package io.segpool.pools;

import io.segpool.allocator.NativeAllocator;
import io.segpool.allocator.ThreadCache;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Where one {@link SegmentedStack}'s segments come from and go back to: the owner thread's cache
 * of the pool's allocator (a virtual thread's go through the allocator's shared caches), each
 * segment taken as {@link StackPool#segmentRequest()} bytes and seen through its reused view
 * ({@link SegmentViews}). Owned by the stack's thread; plain fields.
 */
final class SegmentSource {

    private final NativeAllocator allocator;
    /** The owner's cache, or null for a virtual thread, which goes through the allocator's shared caches. */
    private final ThreadCache cache;
    private final long segmentSize;
    private final long request;
    /** Whether the pool hands blocks out zeroed: then so is a segment's byte past the request. */
    private final boolean zeroed;
    private final SegmentViews views;

    SegmentSource(StackPool pool, NativeAllocator allocator, Thread owner) {
        this.allocator = allocator;
        this.cache = owner.isVirtual() ? null : allocator.threadCache();
        this.segmentSize = pool.segmentSize();
        this.request = pool.segmentRequest();
        this.zeroed = allocator.config().zeroed();
        this.views = new SegmentViews(allocator, segmentSize);
    }

    /**
     * A new segment, as its view. Changes nothing if the allocator refuses; a segment whose view
     * cannot be made goes back first; after the allocator's close (a ring may still hand out a
     * block of the unmapped heap) it throws {@link IllegalStateException}.
     */
    MemorySegment take() {
        long segment = cache != null ? cache.allocateAddress(request) : allocator.allocateAddress(request);
        try {
            MemorySegment view = views.view(segment);
            if (!view.scope().isAlive()) {
                throw StackPool.closed(null); // nothing to give it back to: its memory is gone
            }
            if (zeroed) {
                view.set(ValueLayout.JAVA_BYTE, segmentSize - 1, (byte) 0);
            }
            return view;
        } catch (RuntimeException | Error e) {
            if (allocator.isOpen()) {
                try {
                    give(segment);
                } catch (RuntimeException | Error again) {
                    e.addSuppressed(again);
                }
            }
            throw e;
        }
    }

    /** Gives back the segment at {@code segment}. */
    void give(long segment) {
        if (cache != null) {
            cache.freeAddress(segment, request);
        } else {
            allocator.freeAddress(segment, request);
        }
    }
}
