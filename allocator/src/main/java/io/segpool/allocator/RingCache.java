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
    private static final VarHandle MALLOCS;
    private static final VarHandle FREES;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            COUNT = lookup.findVarHandle(RingCache.class, "count", int.class);
            MALLOCS = lookup.findVarHandle(RingCache.class, "mallocs", long.class);
            FREES = lookup.findVarHandle(RingCache.class, "frees", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final long[] slots = new long[CAPACITY];
    private final CentralStack central;
    private final CacheRegistry registry;
    /** Next slot to write; owner only, plain. */
    private int pos;
    /** Blocks held; owner writes opaque, stats read opaque. */
    private int count;
    /** Blocks handed out from this ring; owner writes opaque, stats read opaque. */
    private long mallocs;
    /** Blocks freed into this ring; owner writes opaque, stats read opaque. */
    private long frees;

    RingCache(CentralStack central, CacheRegistry registry) {
        this.central = central;
        this.registry = registry;
    }

    /** Takes the newest free block. */
    long take() {
        int n = count;
        if (n == 0) {
            refill();
            n = CentralStack.BATCH;
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
        if (n == CAPACITY) {
            spill();
            n = CAPACITY - CentralStack.BATCH;
        }
        slots[pos] = address;
        pos = (pos + 1) & MASK;
        COUNT.setOpaque(this, n + 1);
        FREES.setOpaque(this, frees + 1);
    }

    /** The slow path of {@link #take()}: one batch from the central stack. */
    private void refill() {
        registry.reclaimIfDue();
        central.refill(slots, pos);
        pos = (pos + CentralStack.BATCH) & MASK;
        COUNT.setOpaque(this, count + CentralStack.BATCH);
        AllocatorEvents.refill(central.blockSize, CentralStack.BATCH);
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
    }

    int countOpaque() {
        return (int) COUNT.getOpaque(this);
    }

    long mallocsOpaque() {
        return (long) MALLOCS.getOpaque(this);
    }

    long freesOpaque() {
        return (long) FREES.getOpaque(this);
    }
}
