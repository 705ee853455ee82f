package io.segpool.pools;

import io.segpool.allocator.NativeAllocator;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The blocks of one {@link SegmentedStack} that no segment can hold (larger than a segment, or
 * aligned beyond a page): each one the pool's allocator's own, oldest first, freed newest first
 * when the frame that took it closes. Owned by the stack's thread; plain fields.
 *
 * <p>A block of exactly a segment's size is asked of the allocator one byte larger (the same or
 * the next size class) and handed out as a slice of the segment's size: the allocator records the
 * size a block was handed out with, so {@link StackPool#free} refuses the slice instead of taking
 * a block the frame still holds for one of the pool's segments.
 */
final class BigBlocks {

    private final NativeAllocator allocator;
    private final long segmentSize;
    /** The blocks as the allocator handed them out (at the size it recorded), oldest first. */
    private MemorySegment[] blocks = new MemorySegment[2];
    private int count;
    /** What the last {@link #allocate} handed out. */
    private MemorySegment newest;

    BigBlocks(NativeAllocator allocator, long segmentSize) {
        this.allocator = allocator;
        this.segmentSize = segmentSize;
    }

    int count() {
        return count;
    }

    /**
     * A new block of {@code size} bytes on {@code alignment}. Changes nothing if the allocator
     * refuses, or if the allocator is closed (its memory is gone: {@link IllegalStateException}).
     */
    MemorySegment allocate(long size, long alignment) {
        if (count == blocks.length) {
            blocks = Arrays.copyOf(blocks, count * 2); // before the block is taken: a failure here loses nothing
        }
        MemorySegment block = allocator.allocate(size == segmentSize ? size + 1 : size, alignment);
        if (!block.scope().isAlive()) {
            throw StackPool.closed(null); // a ring hit after close: there is nothing to give it back to
        }
        blocks[count++] = block;
        newest = block.byteSize() == size ? block : block.asSlice(0, size);
        return newest;
    }

    /** {@return what the last {@link #allocate} handed out} */
    MemorySegment newest() {
        return newest;
    }

    /**
     * Frees the blocks above the first {@code keep}, newest first; with {@code giveBack} false (the
     * allocator is closed) only forgets them. Every block leaves the stack even if a free throws:
     * returns {@code failure} with what the frees threw added.
     */
    Throwable freeDownTo(int keep, boolean giveBack, Throwable failure) {
        newest = null;
        while (count > keep) {
            MemorySegment block = blocks[--count];
            blocks[count] = null;
            if (giveBack) {
                try {
                    allocator.free(block);
                } catch (RuntimeException | Error e) {
                    failure = Failures.add(failure, e);
                }
            }
        }
        return failure;
    }
}
