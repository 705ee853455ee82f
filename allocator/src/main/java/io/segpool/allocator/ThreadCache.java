package io.segpool.allocator;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One thread's ring caches, one per size class, made on first use of the class. Get the calling
 * thread's with {@link NativeAllocator#threadCache()} and keep it for the tightest loops: calls
 * through it skip the {@code ThreadLocal} lookup that {@link NativeAllocator#allocate(long)} makes.
 * It belongs to the platform thread that got it; any other thread is refused.
 *
 * <p>Virtual threads never get one of their own: they share a few striped caches, each behind a
 * lock, which the allocator picks for them.
 */
public final class ThreadCache implements SegmentAllocator {

    final NativeAllocator allocator;
    /** The owning platform thread, or null for a shared virtual-thread cache. */
    final Thread owner;
    /** Held while a virtual thread uses this shared cache; null for a platform thread's cache. */
    final ReentrantLock lock;
    private final RingCache[] rings = new RingCache[SizeClasses.count()];

    ThreadCache(NativeAllocator allocator, Thread owner) {
        this.allocator = allocator;
        this.owner = owner;
        this.lock = owner == null ? new ReentrantLock() : null;
    }

    /** Allocates {@code size} bytes, 16-byte aligned; see {@link NativeAllocator#allocate(long)}. */
    @Override
    public MemorySegment allocate(long size) {
        checkOwner();
        return allocator.allocate(this, size);
    }

    /** Allocates {@code size} bytes on an {@code alignment} boundary; see {@link NativeAllocator#allocate(long, long)}. */
    @Override
    public MemorySegment allocate(long size, long alignment) {
        checkOwner();
        return allocator.allocate(this, size, alignment);
    }

    /** Frees a segment this allocator returned; see {@link NativeAllocator#free(MemorySegment)}. */
    public void free(MemorySegment segment) {
        checkOwner();
        allocator.free(this, segment);
    }

    /** Allocates and returns the block's address; see {@link NativeAllocator#allocateAddress(long)}. */
    public long allocateAddress(long size) {
        checkOwner();
        return allocator.allocateAddress(this, size);
    }

    /** Frees by address; see {@link NativeAllocator#freeAddress(long, long)}. */
    public void freeAddress(long address, long size) {
        checkOwner();
        allocator.freeAddress(this, address, size);
    }

    private void checkOwner() {
        Thread current = Thread.currentThread();
        if (current != owner) {
            throw new IllegalStateException("a ThreadCache belongs to the thread that got it (" + owner
                    + "), but " + current + " used it; get your own with NativeAllocator.threadCache()");
        }
    }

    /** This cache's ring for {@code sizeClass}, made on first use. */
    RingCache ring(int sizeClass) {
        RingCache ring = rings[sizeClass];
        return ring != null ? ring : newRing(sizeClass);
    }

    private RingCache newRing(int sizeClass) {
        RingCache ring = allocator.newRing(sizeClass);
        rings[sizeClass] = ring;
        return ring;
    }

    /** The ring for {@code sizeClass} if one was made; for stats and reclaim, read racily. */
    RingCache ringOrNull(int sizeClass) {
        return rings[sizeClass];
    }

    /** True when this is a platform thread's cache and that thread has ended. */
    boolean ownerEnded() {
        return owner != null && !owner.isAlive();
    }
}
