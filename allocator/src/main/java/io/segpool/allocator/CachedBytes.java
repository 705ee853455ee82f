package io.segpool.allocator;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The byte budget of {@link AllocatorConfig#cachedBytesLimit()}: the bytes of free class blocks
 * on the central stacks (with chunk space not carved yet), the one figure the limit is held
 * against beside the large-span cache's own. The central stacks write it, one add per batch under
 * their own locks; the spill path and the large-span cache read it. The Go runtime's heap keeps its
 * page budget in one place the same way ({@code mheap}); here it is the only state that the
 * central stacks of different classes share.
 */
final class CachedBytes {

    /** {@link AllocatorConfig#cachedBytesLimit()}: 0 for none. */
    private final long limit;
    private final AtomicLong central = new AtomicLong();

    CachedBytes(long limit) {
        this.limit = limit;
    }

    /** Records {@code delta} bytes of free class blocks arriving on (or, negative, leaving) a central stack. */
    void add(long delta) {
        central.addAndGet(delta);
    }

    /** Bytes of free class blocks on the central stacks now. */
    long central() {
        return central.get();
    }

    /** Whether the central stacks and {@code largeCached} bytes of free spans are over the limit. */
    boolean over(long largeCached) {
        return limit != 0 && central.get() + largeCached > limit;
    }

    /** The bytes of free large spans that fit beside the central stacks' bytes under the limit; unbounded without one. */
    long roomForLarge() {
        return limit == 0 ? Long.MAX_VALUE : Math.max(0, limit - central.get());
    }
}
