package io.segpool.budgets;

import io.segpool.allocator.NativeAllocator;

/**
 * The block size the allocator gives a request with an alignment: {@link NativeAllocator#blockSize}
 * covers only the default 16-byte alignment, so a larger alignment is computed here as
 * docs/size-classes.md states the rule: the first class of 64 B or more whose size is a multiple
 * of the alignment, and past the classes (or past the 64 KiB chunk alignment) a large block of
 * the request's own span length. A public {@code blockSize(size, alignment)} in the allocator
 * would make this copy of the rule unnecessary.
 */
final class BlockSizes {

    /** Chunks are 64 KiB aligned: a larger alignment is a large block. */
    private static final long CHUNK_ALIGNMENT = 64 * 1024;
    /** The 16, 32 and 48 B classes serve only 16-byte alignment. */
    private static final long FIRST_ALIGNED_CLASS = 64;

    private BlockSizes() {
    }

    static long of(long size, long alignment) {
        if (alignment <= 0 || alignment > NativeAllocator.MAX_ALIGNMENT || (alignment & (alignment - 1)) != 0) {
            throw new IllegalArgumentException("alignment " + alignment + ": must be a power of two up to "
                    + NativeAllocator.MAX_ALIGNMENT);
        }
        long block = NativeAllocator.blockSize(size);
        if (alignment <= 16 || size > NativeAllocator.MAX_CLASS_SIZE) {
            return block;
        }
        if (alignment <= CHUNK_ALIGNMENT) {
            block = NativeAllocator.blockSize(Math.max(size, FIRST_ALIGNED_CLASS));
            while (block <= NativeAllocator.MAX_CLASS_SIZE && (block & (alignment - 1)) != 0) {
                block = block == NativeAllocator.MAX_CLASS_SIZE ? Long.MAX_VALUE : NativeAllocator.blockSize(block + 1);
            }
            if (block <= NativeAllocator.MAX_CLASS_SIZE) {
                return block;
            }
        }
        return spanBytes(size);
    }

    /** A large block's mapping length: rounded to 64 KiB, or an eighth of its power of two when that is more. */
    static long spanBytes(long size) {
        long s = Math.max(size, 1);
        long step = Math.max(CHUNK_ALIGNMENT, Long.highestOneBit(s) >>> 3);
        return (s + step - 1) / step * step;
    }
}
