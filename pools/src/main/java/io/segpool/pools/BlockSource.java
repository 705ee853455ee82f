package io.segpool.pools;

import io.segpool.allocator.NativeAllocator;
import io.segpool.allocator.ThreadCache;

import java.lang.foreign.MemorySegment;

/**
 * Where one {@link DeferScope}'s blocks come from when it has no spare and go back to: the cache
 * of the scope's owner thread in the pool's allocator (a virtual thread's go through the
 * allocator's shared caches). Every block goes back zeroed whole (seed 001: no byte crosses
 * owners), so every block it hands out is zero. Owned by the scope's thread; plain fields.
 */
final class BlockSource {

    private final NativeAllocator allocator;
    /** The thread whose cache blocks come from and go back to. */
    private Thread owner;
    /** The owner's cache; null for a virtual thread or before first use after a move. */
    private ThreadCache cache;

    BlockSource(NativeAllocator allocator, Thread owner) {
        this.allocator = allocator;
        this.owner = owner;
    }

    /** A block for {@code argSize} argument bytes. */
    MemorySegment allocate(long argSize) {
        long blockSize = DeferBlocks.blockSize(argSize);
        ThreadCache own = cache();
        return own != null ? own.allocate(blockSize) : allocator.allocate(blockSize);
    }

    /** Zeroes a block whole and gives it back. */
    void free(MemorySegment block) {
        block.fill((byte) 0);
        ThreadCache own = cache();
        if (own != null) {
            own.freeAddress(block.address(), block.byteSize());
        } else {
            allocator.freeAddress(block.address(), block.byteSize());
        }
    }

    /** From now on blocks come from and go back to {@code newOwner}'s cache. */
    void moveTo(Thread newOwner) {
        owner = newOwner;
        cache = null;
    }

    private ThreadCache cache() {
        ThreadCache own = cache;
        if (own == null && !owner.isVirtual()) {
            own = allocator.threadCache();
            cache = own;
        }
        return own;
    }
}
