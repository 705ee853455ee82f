package io.segpool.allocator;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Blocks above {@link SizeClasses#MAX_SIZE}, or aligned beyond a chunk: one mapping each, straight
 * from the OS and straight back on free (see {@link ChunkSource}), and the frees of every segment
 * that is not a slice of the allocator's heap: a large block, or a wrong call to refuse.
 */
final class LargeBlocks {

    private final NativeAllocator allocator;
    private final Heap heap;
    private final ChunkSource source;
    private final LeakTracker leaks;
    private final AtomicLong inuse = new AtomicLong();
    private final AtomicLong mallocs = new AtomicLong();
    private final AtomicLong frees = new AtomicLong();

    LargeBlocks(NativeAllocator allocator, Heap heap, ChunkSource source, LeakTracker leaks) {
        this.allocator = allocator;
        this.heap = heap;
        this.source = source;
        this.leaks = leaks;
    }

    MemorySegment allocate(long size, long alignment) {
        allocator.checkOpen();
        if (size < 0) {
            throw Refusals.negativeSize(size);
        }
        if (size > NativeAllocator.MAX_BLOCK) {
            throw Refusals.sizeTooLarge(size, NativeAllocator.MAX_BLOCK);
        }
        if (alignment <= 0 || alignment > NativeAllocator.MAX_ALIGNMENT || (alignment & (alignment - 1)) != 0) {
            throw Refusals.badAlignment(alignment);
        }
        Chunk chunk = source.mapLarge(size, alignment, false);
        if (chunk == null) {
            allocator.trimForMemory();
            chunk = source.mapLarge(size, alignment, true);
        }
        inuse.addAndGet(chunk.length);
        mallocs.incrementAndGet();
        if (leaks != null) {
            leaks.allocated(chunk.base, size);
        }
        return chunk.slice(chunk.base, size);
    }

    /** Frees a segment that is not a slice of the heap: a large block of this allocator, or a refusal. */
    void free(MemorySegment segment) {
        allocator.checkOpen();
        if (!segment.isNative()) {
            throw Refusals.heapSegment(segment);
        }
        long address = segment.address();
        long size = segment.byteSize();
        long offset = address - heap.base;
        if (offset >= 0 && offset < heap.heapBytes && segment.scope().isAlive()) {
            throw Refusals.foreignScope(address, size);
        }
        Chunk chunk = ChunkMap.lookup(address);
        if (chunk == null || chunk.owner != allocator) {
            throw Refusals.notFromHere(allocator, address, size, segment, chunk);
        }
        if (segment.scope() != chunk.scope) {
            throw Refusals.foreignScope(address, size, chunk);
        }
        release(chunk, address, size);
    }

    /** Frees by address a block that is not in the heap: a large block of this allocator, or a refusal. */
    void freeAddress(long address, long size) {
        allocator.checkOpen();
        Chunk chunk = ChunkMap.lookup(address);
        if (chunk == null || chunk.owner != allocator) {
            throw Refusals.notFromHere(allocator, address, size, null, chunk);
        }
        release(chunk, address, size);
    }

    private void release(Chunk chunk, long address, long size) {
        if (address != chunk.base) {
            throw Refusals.notBlockStart(address, size, address - chunk.base, chunk.length);
        }
        if (size != chunk.largeSize) {
            throw Refusals.wrongSize(address, size, chunk.largeSize);
        }
        source.release(chunk);
        inuse.addAndGet(-chunk.length);
        frees.incrementAndGet();
        if (leaks != null) {
            leaks.freed(address);
        }
    }

    /**
     * The slow path of {@link NativeAllocator#segment}: a view of the heap against its top read
     * with acquire, else of part of a large block; refuses an address in none of them.
     */
    MemorySegment segment(long address, long size) {
        allocator.checkOpen();
        long offset = address - heap.base;
        long top = heap.topAcquire();
        if (Long.compareUnsigned(offset, top) < 0 && size >= 0 && size <= top - offset) {
            return heap.all.asSlice(offset, size);
        }
        Chunk chunk = ChunkMap.lookup(address);
        if (chunk == null || chunk.owner != allocator || size < 0 || address - chunk.base + size > chunk.length) {
            throw Refusals.notFromHere(allocator, address, size, null, chunk);
        }
        return chunk.slice(address, size);
    }

    void releaseAll() {
        source.releaseAll();
    }

    long inuse() {
        return inuse.get();
    }

    long mallocs() {
        return mallocs.get();
    }

    long frees() {
        return frees.get();
    }

    long mapped() {
        return source.mapped();
    }
}
