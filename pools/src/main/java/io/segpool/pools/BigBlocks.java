package io.segpool.pools;

import io.segpool.allocator.NativeAllocator;

import java.util.Arrays;

/**
 * The blocks of one {@link SegmentedStack} that no segment can hold (larger than a segment, or
 * aligned beyond a page): each one the pool's allocator's own, oldest first, freed newest first
 * when the frame that took it closes. Owned by the stack's thread; plain fields.
 */
final class BigBlocks {

    private final NativeAllocator allocator;
    private long[] addresses = new long[2];
    private long[] sizes = new long[2];
    private int count;

    BigBlocks(NativeAllocator allocator) {
        this.allocator = allocator;
    }

    int count() {
        return count;
    }

    /** A new block of {@code size} bytes on {@code alignment}; returns its address. Changes nothing if the allocator refuses. */
    long allocate(long size, long alignment) {
        long address = allocator.allocate(size, alignment).address();
        if (count == addresses.length) {
            addresses = Arrays.copyOf(addresses, count * 2);
            sizes = Arrays.copyOf(sizes, count * 2);
        }
        addresses[count] = address;
        sizes[count] = size;
        count++;
        return address;
    }

    /** Frees the blocks above the first {@code keep}, newest first. */
    void freeDownTo(int keep) {
        while (count > keep) {
            count--;
            allocator.freeAddress(addresses[count], sizes[count]);
        }
    }
}
