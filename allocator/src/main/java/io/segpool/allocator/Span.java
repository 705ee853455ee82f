package io.segpool.allocator;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A large block: one mapping of its own from the OS, for a request above
 * {@link SizeClasses#MAX_SIZE} or aligned beyond a span. Its segment is in the scope of its own
 * shared {@link Arena}: when the block is freed the arena closes first, so a stale segment throws
 * {@link IllegalStateException} instead of touching unmapped memory.
 */
final class Span {

    /** The heap of the allocator this span belongs to (it names the allocator): a free into another one is refused. */
    final Heap owner;
    final long base;
    /** Bytes mapped: the request rounded as {@link LargeBlocks#spanBytes} says (the block size). */
    final long length;
    /**
     * The size the block is handed out with, or -1 while it is free in the large-span cache;
     * guarded by the {@link LargeBlocks} that owns it.
     */
    long largeSize;
    /** When the block went into the large-span cache ({@link System#nanoTime()}); guarded as {@link #largeSize}. */
    long freedAt;
    final MemorySegment memory;
    /** The scope of {@link #memory} and of the segment handed out. */
    final MemorySegment.Scope scope;
    private final Arena arena;

    private final MemoryMapper mapper;
    /** Set by {@link #release()} once the mapping is gone; guarded by the {@link SpanSource}'s release. */
    private boolean unmapped;

    Span(Heap owner, MemoryMapper mapper, long base, long length, long largeSize) {
        this.owner = owner;
        this.mapper = mapper;
        this.base = base;
        this.length = length;
        this.largeSize = largeSize;
        this.arena = Arena.ofShared();
        // No cleanup action: release() unmaps after the arena closed, so that each step can fail alone.
        this.memory = MemorySegment.ofAddress(base).reinterpret(length, arena, null);
        this.scope = memory.scope();
    }

    /** The segment a caller gets: exactly {@code size} bytes at {@code address}, in this block's scope. */
    MemorySegment slice(long address, long size) {
        return memory.asSlice(address - base, size);
    }

    /**
     * Closes the arena (every slice turns invalid), then unmaps the memory. When the arena cannot
     * close (a downcall holds a slice) it throws with nothing changed; when the unmap fails it
     * throws with the slices already invalid, and a later call only retries the unmap.
     */
    void release() {
        if (scope.isAlive()) {
            mapper.closeArena(arena);
        }
        if (!unmapped) {
            mapper.unmap(base, length);
            unmapped = true;
        }
    }

    /** True while the block's segments are valid: it can be handed out again. */
    boolean isAlive() {
        return scope.isAlive();
    }

    @Override
    public String toString() {
        return "large block 0x" + Long.toHexString(base) + " (" + length + " bytes mapped)";
    }
}
