package io.segpool.allocator;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * The slow path of a thread's ring of one size class (the Go runtime's per-M {@code stackcache}
 * with {@code stackcacherefill} and {@code stackcacherelease}). A ring is a {@code long[]} in its
 * {@link ThreadCache}: the count, {@link #CAPACITY} slots used as a stack (allocation takes the
 * newest block, still warm in the CPU cache), and the class's malloc and free counters. When it is
 * empty it takes one batch of 16 from the {@link CentralStack}; when it is full it gives the 16
 * oldest back as one batch. So a thread holds at most 32 free blocks of a class, and a thread that
 * only frees (the consumer of a producer/consumer pair) sends one central operation per 16 blocks
 * instead of growing without bound.
 *
 * <p>Only the cache's owner writes a ring, with plain stores (for a stripe: the thread holding its
 * flag; for a dead thread's cache: the reclaimer, after the thread's death made its writes
 * visible). {@code readMemStats} reads the count and counters with opaque loads: no atomic
 * read-modify-write on the hot path, and the reader pays for the sum.
 */
final class RingCache {

    static final int CAPACITY = 32;
    private static final int BATCH = CentralStack.BATCH;
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);

    private RingCache() {
    }

    /**
     * An empty ring's refill: one batch from the central stack (the unbounded ablation's overflow
     * first; one block for the no-cache ablation). Returns the blocks now held.
     */
    static int refill(ThreadCache cache, int sizeClass, long[] ring) {
        NativeAllocator allocator = cache.allocator;
        allocator.checkOpen();
        allocator.caches.reclaimIfDue();
        long[] extra = cache.overflow == null ? null : cache.overflow[sizeClass];
        int n;
        if (extra != null && extra[0] > 0) {
            n = (int) Math.min(extra[0], BATCH);
            int left = (int) extra[0] - n;
            System.arraycopy(extra, 1 + left, ring, 1, n);
            SLOT.setOpaque(extra, 0, (long) left);
            SLOT.setOpaque(ring, ThreadCache.BATCHED_IN, ring[ThreadCache.BATCHED_IN] + n);
        } else {
            n = allocator.config().threadCaching() == AllocatorConfig.ThreadCaching.NONE ? 1 : BATCH;
            CentralStack central = allocator.central(sizeClass);
            central.refill(ring, 1, n);
            SLOT.setOpaque(ring, ThreadCache.BATCHED_IN, ring[ThreadCache.BATCHED_IN] + n);
            AllocatorEvents.refill(central.blockSize, n);
        }
        SLOT.setOpaque(ring, ThreadCache.COUNT, (long) n);
        return n;
    }

    /**
     * A free into a full ring: the 16 oldest blocks go to the central stack as one batch (or to
     * the unbounded ablation's overflow), then the block goes on top. The no-cache ablation, whose
     * rings hold nothing, sends the block itself.
     */
    static void putSlow(ThreadCache cache, int sizeClass, long[] ring, long offset) {
        NativeAllocator allocator = cache.allocator;
        allocator.checkOpen();
        allocator.caches.reclaimIfDue();
        CentralStack central = allocator.central(sizeClass);
        if (allocator.config().threadCaching() == AllocatorConfig.ThreadCaching.NONE) {
            ring[1] = offset;
            central.spill(ring, 1, 1);
            SLOT.setOpaque(ring, ThreadCache.BATCHED_OUT, ring[ThreadCache.BATCHED_OUT] + 1);
        } else {
            if (cache.overflow != null) {
                keep(cache, sizeClass, ring);
            } else {
                central.spill(ring, 1, BATCH);
                AllocatorEvents.spill(central.blockSize, BATCH);
            }
            SLOT.setOpaque(ring, ThreadCache.BATCHED_OUT, ring[ThreadCache.BATCHED_OUT] + BATCH);
            System.arraycopy(ring, 1 + BATCH, ring, 1, CAPACITY - BATCH);
            ring[CAPACITY - BATCH + 1] = offset;
            SLOT.setOpaque(ring, ThreadCache.COUNT, (long) (CAPACITY - BATCH + 1));
        }
        SLOT.setOpaque(ring, ThreadCache.FREES, ring[ThreadCache.FREES] + 1);
    }

    /** The unbounded ablation (seed 001's "before"): the oldest batch is kept forever. */
    private static void keep(ThreadCache cache, int sizeClass, long[] ring) {
        long[] extra = cache.overflow[sizeClass];
        if (extra == null) {
            extra = new long[1 + 4 * BATCH];
        }
        int held = (int) extra[0];
        if (1 + held + BATCH > extra.length) {
            extra = Arrays.copyOf(extra, 2 * extra.length);
        }
        System.arraycopy(ring, 1, extra, 1 + held, BATCH);
        extra[0] = held + BATCH;
        cache.overflow[sizeClass] = extra;
    }

    /** Gives every block of a cache that no thread uses any more to the central stacks. */
    static long flush(ThreadCache cache) {
        long blocks = 0;
        for (int c = 0; c < cache.rings.length; c++) {
            long[] ring = cache.rings[c];
            if (ring != null && ring[ThreadCache.COUNT] > 0) {
                int n = (int) ring[ThreadCache.COUNT];
                cache.allocator.central(c).reclaim(ring, 1, n);
                SLOT.setOpaque(ring, ThreadCache.BATCHED_OUT, ring[ThreadCache.BATCHED_OUT] + n);
                SLOT.setOpaque(ring, ThreadCache.COUNT, 0L);
                blocks += n;
            }
            long[] extra = cache.overflow == null ? null : cache.overflow[c];
            if (extra != null && extra[0] > 0) {
                cache.allocator.central(c).reclaim(extra, 1, (int) extra[0]);
                blocks += extra[0];
                SLOT.setOpaque(extra, 0, 0L);
            }
        }
        return blocks;
    }

    /** Free blocks a cache holds for a class (the unbounded ablation's overflow included); read racily. */
    static long cached(ThreadCache cache, int sizeClass) {
        long[] ring = cache.rings[sizeClass];
        long n = ring == null ? 0 : (long) SLOT.getOpaque(ring, ThreadCache.COUNT);
        long[] extra = cache.overflow == null ? null : cache.overflow[sizeClass];
        return extra == null ? n : n + (long) SLOT.getOpaque(extra, 0);
    }

    /**
     * Blocks handed out from a ring: every block that came in (batches, frees) less every block
     * still there or gone out in a batch. Exact when the owner is not mid-call.
     */
    static long mallocs(ThreadCache cache, int sizeClass) {
        long[] ring = cache.rings[sizeClass];
        if (ring == null) {
            return 0;
        }
        return (long) SLOT.getOpaque(ring, ThreadCache.BATCHED_IN) - (long) SLOT.getOpaque(ring, ThreadCache.BATCHED_OUT)
                + (long) SLOT.getOpaque(ring, ThreadCache.FREES) - (long) SLOT.getOpaque(ring, ThreadCache.COUNT);
    }

    static long frees(ThreadCache cache, int sizeClass) {
        long[] ring = cache.rings[sizeClass];
        return ring == null ? 0 : (long) SLOT.getOpaque(ring, ThreadCache.FREES);
    }
}
