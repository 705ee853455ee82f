package io.segpool.allocator;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One thread's cache of free blocks of one size class: a ring of {@link #CAPACITY} addresses
 * (the Go runtime's per-M {@code stackcache}). Allocation takes the newest block (still warm in
 * the CPU cache); when the ring is empty it takes one batch of 16 from the {@link CentralStack},
 * and when it is full it gives the 16 oldest back as one batch. So a thread holds at most 32 free
 * blocks of a class, and a thread that only frees (the consumer of a producer/consumer pair) sends
 * one central operation per 16 blocks instead of growing without bound.
 *
 * <p>Only the owning thread calls {@link #take()} and {@link #put(long)} (for a shared
 * virtual-thread cache: the thread that holds its lock; for a dead thread's cache: the reclaimer,
 * after the thread's death made its writes visible). Counters are written by the owner with
 * opaque stores and read by {@code readMemStats} with opaque loads: no atomic read-modify-write
 * on the hot path, and the reader pays for the sum.
 */
final class RingCache {

    static final int CAPACITY = 32;
    private static final int MASK = CAPACITY - 1;

    private static final VarHandle COUNT;
    private static final VarHandle OVERFLOW_COUNT;
    private static final VarHandle MALLOCS;
    private static final VarHandle FREES;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            COUNT = lookup.findVarHandle(RingCache.class, "count", int.class);
            OVERFLOW_COUNT = lookup.findVarHandle(RingCache.class, "overflowCount", int.class);
            MALLOCS = lookup.findVarHandle(RingCache.class, "mallocs", long.class);
            FREES = lookup.findVarHandle(RingCache.class, "frees", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final long[] slots = new long[CAPACITY];
    private final CentralStack central;
    private final CacheRegistry registry;
    private final AllocatorConfig.ThreadCaching caching;
    /** Blocks held before a free takes the slow path: {@link #CAPACITY}, or 0 for the no-cache ablation. */
    private final int limit;
    /**
     * The unbounded ablation's blocks beyond the ring (seed 001's "before": a cache that never
     * gives back); owner only, plain. Null in the real allocator.
     */
    private long[] overflow;
    /** Blocks in {@link #overflow}; owner writes opaque, stats read opaque. */
    private int overflowCount;
    /** Next slot to write; owner only, plain. */
    private int pos;
    /** Blocks held; owner writes opaque, stats read opaque. */
    private int count;
    /** Blocks handed out from this ring; owner writes opaque, stats read opaque. */
    private long mallocs;
    /** Blocks freed into this ring; owner writes opaque, stats read opaque. */
    private long frees;

    RingCache(CentralStack central, CacheRegistry registry, AllocatorConfig.ThreadCaching caching) {
        this.central = central;
        this.registry = registry;
        this.caching = caching;
        this.limit = caching == AllocatorConfig.ThreadCaching.NONE ? 0 : CAPACITY;
    }

    /** Takes the newest free block. */
    long take() {
        int n = count;
        if (n == 0) {
            n = refill();
        }
        int p = (pos - 1) & MASK;
        pos = p;
        COUNT.setOpaque(this, n - 1);
        MALLOCS.setOpaque(this, mallocs + 1);
        return slots[p];
    }

    /** Puts a freed block into the ring. */
    void put(long address) {
        int n = count;
        if (n == limit) {
            if (caching != AllocatorConfig.ThreadCaching.BOUNDED) {
                putAblated(address);
                return;
            }
            spill();
            n = CAPACITY - CentralStack.BATCH;
        }
        slots[pos] = address;
        pos = (pos + 1) & MASK;
        COUNT.setOpaque(this, n + 1);
        FREES.setOpaque(this, frees + 1);
    }

    /**
     * The slow path of {@link #take()}: one batch from the central stack; returns the blocks now
     * held. The no-cache ablation takes one block under the central lock, the unbounded one takes
     * from its overflow first.
     */
    private int refill() {
        registry.reclaimIfDue();
        int n = CentralStack.BATCH;
        if (caching == AllocatorConfig.ThreadCaching.NONE) {
            n = 1;
        } else if (overflowCount > 0) {
            n = Math.min(overflowCount, CentralStack.BATCH);
            for (int i = 0; i < n; i++) {
                slots[(pos + i) & MASK] = overflow[--overflowCount];
            }
            OVERFLOW_COUNT.setOpaque(this, overflowCount);
            pos = (pos + n) & MASK;
            COUNT.setOpaque(this, n);
            return n;
        }
        central.refill(slots, pos, n);
        pos = (pos + n) & MASK;
        COUNT.setOpaque(this, n);
        AllocatorEvents.refill(central.blockSize, n);
        return n;
    }

    /** A free in an ablation: straight to the central stack (no cache), or kept forever (unbounded). */
    private void putAblated(long address) {
        if (caching == AllocatorConfig.ThreadCaching.NONE) {
            central.spillOne(address);
        } else {
            if (overflow == null || overflowCount == overflow.length) {
                overflow = java.util.Arrays.copyOf(overflow == null ? new long[0] : overflow,
                        Math.max(64, overflowCount * 2));
            }
            overflow[overflowCount] = address;
            OVERFLOW_COUNT.setOpaque(this, overflowCount + 1);
        }
        FREES.setOpaque(this, frees + 1);
    }

    /** The slow path of {@link #put(long)}: the 16 oldest blocks back to the central stack as one batch. */
    private void spill() {
        registry.reclaimIfDue();
        central.spill(slots, (pos - count) & MASK);
        COUNT.setOpaque(this, count - CentralStack.BATCH);
        AllocatorEvents.spill(central.blockSize, CentralStack.BATCH);
    }

    /** Gives every block to the central stack; for the cache of a thread that has ended. */
    void flush() {
        central.reclaim(slots, (pos - count) & MASK, count);
        COUNT.setOpaque(this, 0);
        if (overflowCount > 0) {
            central.reclaim(overflow, 0, overflowCount);
            OVERFLOW_COUNT.setOpaque(this, 0);
        }
    }

    /** Free blocks this cache holds (the unbounded ablation's overflow included). */
    int countOpaque() {
        return (int) COUNT.getOpaque(this) + (int) OVERFLOW_COUNT.getOpaque(this);
    }

    long mallocsOpaque() {
        return (long) MALLOCS.getOpaque(this);
    }

    long freesOpaque() {
        return (long) FREES.getOpaque(this);
    }
}
