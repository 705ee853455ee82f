package io.segpool.jcstress;

import io.segpool.allocator.NativeAllocator;
import io.segpool.allocator.EngineProbe;

import java.util.Arrays;

/**
 * A plain imitation of one thread's ring of one class ({@code RingCache}'s take and put) over the
 * allocator's real central stack, reached through {@link EngineProbe}: a take from an empty ring
 * refills a batch, a put into a full ring spills its oldest batch first. It holds heap offsets,
 * with no lock and no owner check, exactly as the real ring relies on being used by one thread.
 *
 * <p>It exists for the {@code *Broken} variants: each breaks one rule that the allocator keeps
 * around its rings (one thread per ring, one flush per dead ring, a stripe taken atomically, a
 * spill that either happens or not) and runs a real shape on it, so that the shape is seen to
 * fail. Nothing in a {@code *Race} test uses it.
 */
final class ModelRing {

    private static final EngineProbe ENGINE = EngineProbe.INSTANCE;

    final NativeAllocator allocator;
    final SizeCase sizes;
    final long[] slots;
    /** Blocks held; plain: the broken variants race on it on purpose. */
    int count;

    ModelRing(NativeAllocator allocator, SizeCase sizes) {
        this.allocator = allocator;
        this.sizes = sizes;
        this.slots = new long[sizes.capacity()];
    }

    /** Hands out the newest block, refilling a batch from the central stack when empty. */
    long take() {
        if (count == 0) {
            ENGINE.refill(allocator, sizes.sizeClass(), slots, 0, sizes.batch());
            count = sizes.batch();
        }
        return slots[--count];
    }

    /** Takes a block back, spilling the oldest batch to the central stack first when full. */
    void put(long offset) {
        if (count == slots.length) {
            spillOldest();
            dropOldest();
        }
        slots[count++] = offset;
    }

    /** The first half of a spill: the oldest batch onto the central stack. */
    void spillOldest() {
        ENGINE.spill(allocator, sizes.sizeClass(), slots, 0, sizes.batch());
    }

    /** The second half of a spill: the oldest batch out of the ring. */
    void dropOldest() {
        int kept = count - sizes.batch();
        System.arraycopy(slots, sizes.batch(), slots, 0, kept);
        count = kept;
    }

    /** Gives every block held to the central stack, as the reclaim of a dead thread's ring does. */
    void flush() {
        if (count > 0) {
            ENGINE.spill(allocator, sizes.sizeClass(), slots, 0, count);
            count = 0;
        }
    }

    /**
     * {@code n} blocks straight from the central stack, for a state to hand its actors: whole
     * batches are refilled and the ones left over spilled back.
     */
    static long[] centralBlocks(NativeAllocator allocator, SizeCase sizes, int n) {
        int batch = sizes.batch();
        long[] blocks = new long[(n + batch - 1) / batch * batch];
        for (int start = 0; start < blocks.length; start += batch) {
            ENGINE.refill(allocator, sizes.sizeClass(), blocks, start, batch);
        }
        if (blocks.length > n) {
            ENGINE.spill(allocator, sizes.sizeClass(), blocks, n, blocks.length - n);
        }
        return Arrays.copyOf(blocks, n);
    }

    /** Blocks of the class on the allocator's central stack now. */
    static long[] stacked(NativeAllocator allocator, SizeCase sizes) {
        return ENGINE.centralBlocks(allocator, sizes.sizeClass());
    }

    /** A copy of the blocks held (as many as a count torn by a race still allows). */
    long[] held() {
        return Arrays.copyOf(slots, Math.max(0, Math.min(count, slots.length)));
    }
}
