package io.segpool.allocator;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One mapping from the OS: either a run of equal blocks of one size class, carved 16 at a time by
 * its class's {@link CentralStack}, or a single large block. Every segment handed out is a slice
 * of {@link #memory}, whose scope is this chunk's shared {@link Arena}: when the chunk is given
 * back, the arena closes first, so a stale segment throws {@link IllegalStateException} instead of
 * touching unmapped memory.
 */
final class Chunk {

    /** The allocator this chunk belongs to: a free into another allocator is refused. */
    final NativeAllocator owner;
    final long base;
    final long length;
    /** Size class index, or {@link #LARGE} for a single large block. */
    final int sizeClass;
    final long blockSize;
    final int blockCount;
    /** For a large chunk, the size its one block was allocated with; 0 otherwise. */
    final long largeSize;
    final MemorySegment memory;
    /** The scope of {@link #memory} and of every segment handed out from this chunk. */
    final MemorySegment.Scope scope;
    /**
     * {@link AllocatorConfig#checkFrees()}: a segment freed here must have {@link #scope}. Kept
     * apart from {@link #tracked()}, which is false for a large chunk (it has no per-block state)
     * though its frees are checked too.
     */
    final boolean checked;
    private final Arena arena;
    private final long divisionMagic;

    /**
     * Per block: the requested size + 1 while the block is handed out, 0 while it is free. Written
     * by the thread that allocates or frees the block; the block's own hand-off between threads
     * orders the writes. Null when the allocator runs without free checks.
     */
    private final int[] requested;
    /**
     * Debug mode only, else null: per block, where it was last freed while it lies poisoned in a
     * free list, null once handed out again. Written and read as {@link #requested} is.
     */
    final Throwable[] freedAt;

    /** Blocks carved so far; guarded by the class's central lock. */
    int carved;
    /** Scratch for {@link CentralStack#trim()}: this chunk's blocks on the central stack; under its lock. */
    int trimCount;
    /** Set by {@link CentralStack#trim()} once the chunk is chosen to go back to the OS; under its lock. */
    boolean trimmed;

    static final int LARGE = -1;

    Chunk(NativeAllocator owner, MemoryMapper mapper, long base, long length, int sizeClass, long blockSize,
          long largeSize, boolean tracked, boolean debug) {
        this.owner = owner;
        this.base = base;
        this.length = length;
        this.sizeClass = sizeClass;
        this.blockSize = blockSize;
        this.blockCount = Math.toIntExact(length / blockSize);
        this.largeSize = largeSize;
        this.divisionMagic = sizeClass == LARGE ? 0 : SizeClasses.divisionMagic(sizeClass);
        this.arena = Arena.ofShared();
        this.memory = MemorySegment.ofAddress(base).reinterpret(length, arena, unused -> mapper.unmap(base, length));
        this.scope = memory.scope();
        this.checked = tracked;
        this.requested = tracked && sizeClass != LARGE ? new int[blockCount] : null;
        this.freedAt = debug && sizeClass != LARGE ? new Throwable[blockCount] : null;
    }

    /** Index of the block that starts at {@code address}, or -1 when no block starts there. */
    int blockIndex(long address) {
        long offset = address - base;
        if (sizeClass == LARGE) {
            return offset == 0 ? 0 : -1;
        }
        int index = (int) ((offset * divisionMagic) >>> 32);
        return index * blockSize == offset ? index : -1;
    }

    long blockAddress(int index) {
        return base + index * blockSize;
    }

    boolean tracked() {
        return requested != null;
    }

    /** Records that the free block at {@code index} is handed out with {@code size} bytes. */
    void markHandedOut(int index, long size) {
        if (requested[index] != 0) {
            throw new IllegalStateException("bad block state: block 0x" + Long.toHexString(blockAddress(index))
                    + " was in a free list while marked in use");
        }
        requested[index] = (int) size + 1;
    }

    /** The size the block at {@code index} was handed out with, or -1 when it is free. */
    long handedOutSize(int index) {
        return requested[index] - 1L;
    }

    void markFree(int index) {
        requested[index] = 0;
    }

    /** The segment a caller gets: exactly {@code size} bytes at {@code address}, in this chunk's scope. */
    MemorySegment slice(long address, long size) {
        return memory.asSlice(address - base, size);
    }

    /** Closes the arena: every slice turns invalid, then the cleanup unmaps the memory. */
    void release() {
        arena.close();
    }

    @Override
    public String toString() {
        return "chunk 0x" + Long.toHexString(base) + " (" + length + " bytes, "
                + (sizeClass == LARGE ? "large" : "class " + blockSize + " B") + ")";
    }
}
