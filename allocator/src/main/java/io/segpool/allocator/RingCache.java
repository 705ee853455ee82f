package io.segpool.allocator;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The slow path of a thread's ring of one size class (the Go runtime's per-M {@code stackcache}
 * with {@code stackcacherefill} and {@code stackcacherelease}). A ring is a {@code long[]} in its
 * {@link ThreadCache}: a header with the count and the class's counters, then slots used as a
 * stack (allocation takes the newest block, still warm in the CPU cache). When it is empty it takes
 * one batch from the {@link CentralStack}; when it is full it gives the oldest batch back. So a
 * thread holds a bounded number of free blocks of a class, and a thread that only frees (the
 * consumer of a producer/consumer pair) sends one central operation per batch instead of growing
 * without bound.
 *
 * <p>A ring is bounded by blocks and by bytes, as the Go runtime bounds its stack cache by bytes
 * ({@code _StackCacheSize}): {@link SizeClasses#ringCapacity} is 32 blocks for classes up to 8 KiB and
 * {@link SizeClasses#RING_BYTES} / size above, at least one block; a batch is half a ring, at least one block.
 * 256 KiB per ring keeps the classes that stack segments and buffers use (4 to 8 KiB) at the full 32
 * blocks, where the hot path's hit rate matters, while a thread that frees 1 MiB blocks keeps one,
 * not 32 MiB of them out of {@code trim()}'s reach. A large ring (classes above 64 KiB) has
 * {@link SizeClasses#LARGE_RING_SLOTS} slots and grows into them by one block when a free finds it
 * full, while the thread's growth over all large classes stays within
 * {@link SizeClasses#LARGE_RING_BUDGET} (4 MiB): a thread that frees an Arrow batch's buffers keeps
 * them for the next batch. {@link #flush} gives the growth back.
 *
 * <p>Only the cache's owner writes a ring, with plain stores on every path (for a stripe: the
 * thread holding its flag; for a dead thread's cache: the reclaimer, after the thread's death made
 * its writes visible). {@code readMemStats} reads the count and counters with opaque loads
 * ({@link #racy}): no atomic read-modify-write on the hot path, and the reader pays for the sum.
 */
final class RingCache {

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);

    private RingCache() {
    }

    /**
     * A ring's header field as another thread reads it (stats, the reclaimer's sums): an opaque
     * load, which sees some value the owner stored, never a torn one, and never one older than a
     * value it saw before. The owner writes the header with plain stores, hot path and slow path
     * alike (no fence, no atomic), so a reader is racy by design: exact once the owner is quiet.
     */
    private static long racy(long[] ring, int field) {
        return (long) SLOT.getOpaque(ring, field);
    }

    /** An empty ring's refill: one batch from the central stack. Returns the blocks now held. */
    static int refill(ThreadCache cache, int sizeClass, long[] ring) {
        cache.rooms.live().check();
        cache.registry.reclaimIfDue();
        int n = SizeClasses.batch(sizeClass);
        CentralStack central = cache.centrals[sizeClass];
        central.refill(ring, ThreadCache.HEADER, n);
        ring[ThreadCache.BATCHED_IN] += n;
        AllocatorEvents.refill(cache.rooms.name(), central.blockSize, n);
        ring[ThreadCache.COUNT] = n;
        return n;
    }

    /**
     * A free into a full ring: the oldest batch goes to the central stack, then the block goes on
     * top.
     *
     * <p>Fault-atomic: the only steps that can throw (the closed check, the reclaim of ended
     * threads' caches, the central stack taking the batch) come before the ring changes, and
     * when one throws the block being freed goes back to handed out, so the caller still owns it
     * and nothing moved. Once the central stack holds the batch the ring is updated at once;
     * only then does the cached-bytes limit give memory back, and a fault there (an unmap the
     * OS or a busy segment refuses) leaves that memory cached, counted, and tried again later:
     * it cannot undo or fail the free.
     */
    static void putSlow(ThreadCache cache, int sizeClass, long[] ring, long offset, long size) {
        int capacity = (int) ring[ThreadCache.LIMIT];
        if (grow(cache, sizeClass, ring, capacity)) {
            cache.put(sizeClass, offset, size); // the ring has room now: the fast put
            return;
        }
        CentralStack central = cache.centrals[sizeClass];
        int batch = SizeClasses.batch(sizeClass);
        try {
            cache.rooms.live().check();
            cache.registry.reclaimIfDue();
            central.spill(ring, ThreadCache.HEADER, batch);
        } catch (RuntimeException | Error e) {
            cache.undoRelease(sizeClass, offset, size);
            throw e;
        }
        ring[ThreadCache.BATCHED_OUT] += batch;
        int kept = capacity - batch;
        System.arraycopy(ring, ThreadCache.HEADER + batch, ring, ThreadCache.HEADER, kept);
        ring[ThreadCache.HEADER + kept] = offset;
        ring[ThreadCache.COUNT] = kept + 1;
        ring[ThreadCache.FREES]++;
        AllocatorEvents.spill(cache.rooms.name(), central.blockSize, batch);
        cache.rooms.pressure().releaseOverLimit(sizeClass);
    }

    /**
     * A full large ring's growth by one block, when it has a spare slot and the block fits in what
     * is left of the cache's {@link SizeClasses#LARGE_RING_BUDGET}: the free then stays in the ring.
     * Nothing can throw here, so the free needs no undo.
     */
    private static boolean grow(ThreadCache cache, int sizeClass, long[] ring, int capacity) {
        long size = SizeClasses.size(sizeClass);
        if (capacity == ring.length - ThreadCache.HEADER || cache.grantedRingBytes + size > SizeClasses.LARGE_RING_BUDGET) {
            return false;
        }
        cache.grantedRingBytes += size;
        ring[ThreadCache.LIMIT] = capacity + 1;
        return true;
    }

    /**
     * Gives every block of a cache that no thread uses any more (or whose owner flushes it) to the
     * central stacks, each class under the cached-bytes limit as a spill is, and the large rings'
     * growth back to the budget: each ring's limit is its capacity again.
     */
    static long flush(ThreadCache cache) {
        long blocks = 0;
        for (int c = 0; c < cache.rings.length; c++) {
            long[] ring = cache.rings[c];
            if (ring == null) {
                continue;
            }
            int n = (int) ring[ThreadCache.COUNT];
            if (n > 0) {
                cache.centrals[c].reclaim(ring, ThreadCache.HEADER, n);
                ring[ThreadCache.BATCHED_OUT] += n;
                ring[ThreadCache.COUNT] = 0L;
                blocks += n;
            }
            // Only once empty, so that a count never exceeds its limit; the grant shrinks ring by
            // ring, so that a flush stopped part way (a reclaim that threw) leaves it exact.
            int capacity = SizeClasses.ringCapacity(c);
            cache.grantedRingBytes -= (ring[ThreadCache.LIMIT] - capacity) * SizeClasses.size(c);
            ring[ThreadCache.LIMIT] = capacity;
            if (n > 0) {
                cache.rooms.pressure().releaseOverLimit(c);
            }
        }
        return blocks;
    }

    /** Free blocks a cache holds for a class; read racily. */
    static long cached(ThreadCache cache, int sizeClass) {
        long[] ring = cache.rings[sizeClass];
        return ring == null ? 0 : racy(ring, ThreadCache.COUNT);
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
        return racy(ring, ThreadCache.BATCHED_IN) - racy(ring, ThreadCache.BATCHED_OUT)
                + racy(ring, ThreadCache.FREES) - racy(ring, ThreadCache.COUNT);
    }

    static long frees(ThreadCache cache, int sizeClass) {
        long[] ring = cache.rings[sizeClass];
        return ring == null ? 0 : racy(ring, ThreadCache.FREES);
    }
}
