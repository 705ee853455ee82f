package io.segpool.allocator;

import java.lang.foreign.MemorySegment;

/**
 * The exceptions for calls segpool refuses. Each names the value and the rule it broke and is
 * thrown before any state changes. Kept out of the hot methods so that they stay small.
 */
final class Refusals {

    private Refusals() {
    }

    static IllegalArgumentException negativeSize(long size) {
        return new IllegalArgumentException("size " + size + " is negative: a block is 0 or more bytes");
    }

    static IllegalArgumentException sizeTooLarge(long size, long max) {
        return new IllegalArgumentException("size " + size + " is above the largest block segpool maps ("
                + max + " bytes)");
    }

    static IllegalArgumentException badAlignment(long alignment) {
        return new IllegalArgumentException("alignment " + alignment + " is not a power of two from 1 to "
                + NativeAllocator.MAX_ALIGNMENT);
    }

    static IllegalStateException closed() {
        return new IllegalStateException("this NativeAllocator is closed: its memory went back to the OS");
    }

    static IllegalArgumentException heapSegment(MemorySegment segment) {
        return new IllegalArgumentException("free: " + segment + " is a heap segment; only segments this allocator"
                + " returned can be freed");
    }

    static RuntimeException notFromHere(NativeAllocator allocator, long address, long size, MemorySegment segment,
                                        Chunk chunk) {
        String what = describe(address, size);
        if (segment != null && !segment.scope().isAlive()) {
            return new IllegalStateException("free: " + what + " is in memory already given back to the OS (freed"
                    + " before, then its large block was unmapped, or its allocator closed)");
        }
        NativeAllocator heapOwner = OpenAllocators.ownerOf(address);
        if ((chunk != null && chunk.owner != allocator) || (heapOwner != null && heapOwner != allocator)) {
            return new IllegalArgumentException("free: " + what + " belongs to another NativeAllocator; free it there");
        }
        return new IllegalArgumentException("free: " + what + " is not from this allocator: no block it handed out"
                + " holds that address (or the block was a large one, freed and unmapped)");
    }

    /**
     * {@code segment(address, size)} for a view that is not inside one block handed out by this
     * allocator; {@code blockStart}/{@code blockSize} describe the block holding the address, or are -1.
     */
    static IllegalArgumentException viewBeyondBlock(long address, long size, long blockStart, long blockSize) {
        String view = "segment(0x" + Long.toHexString(address) + ", " + size + ")";
        if (size < 0) {
            return new IllegalArgumentException(view + ": the size is negative");
        }
        if (blockSize < 0) {
            return new IllegalArgumentException(view + ": no block of this allocator that is handed out holds"
                    + " that address (free, never allocated, or from another allocator)");
        }
        return new IllegalArgumentException(view + ": the view must lie inside one block, and the "
                + blockSize + "-byte block at 0x" + Long.toHexString(blockStart) + " ends "
                + (blockStart + blockSize - address) + " bytes after the address");
    }

    static IllegalStateException released(long address, long size) {
        return new IllegalStateException("free: " + describe(address, size) + " is in memory already given back to"
                + " the OS: the block was freed before, then trim() released its chunk (double free)");
    }

    static IllegalArgumentException foreignScope(long address, long size, Chunk chunk) {
        return new IllegalArgumentException("free: " + describe(address, size) + " lies in " + chunk
                + " but has another scope: it was not returned by this allocator (MemorySegment.ofAddress or"
                + " reinterpret made it); free the segment allocate returned");
    }

    static IllegalArgumentException foreignScope(long address, long size) {
        return new IllegalArgumentException("free: " + describe(address, size) + " lies in this allocator's heap"
                + " but has another scope: it was not returned by this allocator (MemorySegment.ofAddress or"
                + " reinterpret made it); free the segment allocate returned");
    }

    static IllegalArgumentException notBlockStart(long address, long size, long offset, long blockSize) {
        return new IllegalArgumentException("free: " + describe(address, size) + " starts " + offset
                + " bytes into a " + blockSize + "-byte block at 0x" + Long.toHexString(address - offset)
                + ": free the segment allocate returned, not a slice of it");
    }

    static IllegalStateException doubleFree(long address, long size, long blockSize) {
        return new IllegalStateException("free: " + describe(address, size) + " is a " + blockSize
                + "-byte block that is already free (double free)");
    }

    static IllegalArgumentException wrongSize(long address, long size, long allocated) {
        return new IllegalArgumentException("free: " + describe(address, size) + " has " + size
                + " bytes but the block was allocated with " + allocated
                + ": free the segment allocate returned, not a slice or a resized view");
    }

    static IllegalStateException badBlockState(long address) {
        return new IllegalStateException("bad block state: block 0x" + Long.toHexString(address)
                + " was in a free list while marked in use");
    }

    static IllegalStateException closed(Throwable cause) {
        return new IllegalStateException("this NativeAllocator is closed: its memory went back to the OS", cause);
    }

    /**
     * A cache used by a thread it does not belong to: {@link WrongThreadException}, as a confined
     * Arena's segment throws; a borrowed cache used after its close: {@link IllegalStateException}.
     */
    static RuntimeException wrongThread(ThreadCache cache, Thread current) {
        if (cache.shared && cache.owner == null) {
            return new IllegalStateException("this ThreadCache was borrowed and given back (close()); " + current
                    + " must borrow one again with NativeAllocator.borrowCache()");
        }
        return new WrongThreadException("a ThreadCache belongs to the thread that got it (" + cache.owner
                + "), but " + current + " used it; get your own with NativeAllocator.threadCache() or borrowCache()");
    }

    static MemoryLimitException memoryLimit(int sizeClass, long blockSize, long largeSize, long length, long limit,
                                            long sys) {
        return new MemoryLimitException("allocate: " + request(sizeClass, blockSize, largeSize) + " needs "
                + length + " more bytes mapped, but Sys is " + sys + " bytes and the memory limit is " + limit
                + " bytes, even after trim(); free blocks, or raise AllocatorConfig.memoryLimit", length, limit, sys);
    }

    static OutOfMemoryError osRefused(int sizeClass, long blockSize, long largeSize, long span, long sys,
                                      OutOfMemoryError cause) {
        OutOfMemoryError error = new OutOfMemoryError("allocate: " + request(sizeClass, blockSize, largeSize)
                + " needs a " + span + "-byte mapping, which the OS refused even after trim() (" + cause.getMessage()
                + "); Sys stays " + sys + " bytes and the allocator stays usable");
        error.initCause(cause);
        return error;
    }

    private static String request(int sizeClass, long blockSize, long largeSize) {
        return sizeClass < 0
                ? "a large block of " + largeSize + " bytes"
                : "a new chunk of " + blockSize + "-byte blocks";
    }

    private static String describe(long address, long size) {
        return "segment 0x" + Long.toHexString(address) + " (" + size + " bytes)";
    }
}
