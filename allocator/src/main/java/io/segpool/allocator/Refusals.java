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
                + SizeClasses.MAX_ALIGNMENT);
    }

    static IllegalStateException closed() {
        return new IllegalStateException("this NativeAllocator is closed: its memory went back to the OS");
    }

    static IllegalArgumentException heapSegment(MemorySegment segment) {
        return new IllegalArgumentException("free: " + segment + " is a heap segment; only segments this allocator"
                + " returned can be freed");
    }

    static RuntimeException notFromHere(Heap heap, long address, long size, MemorySegment segment,
                                        Span span) {
        String what = describe(address, size);
        if (segment != null && !segment.scope().isAlive()) {
            // Not a live block of this allocator, whatever it was: the scope of a closed Arena, of
            // a large block freed and unmapped since, or of another allocator that closed.
            return new IllegalArgumentException("free: " + what + " has a closed scope, so it is no live block of"
                    + " this allocator: an Arena's segment after its close, a large block already freed and"
                    + " unmapped, or a block of an allocator that closed");
        }
        Heap heapOwner = OpenHeaps.ownerOf(address);
        if ((span != null && span.owner != heap) || (heapOwner != null && heapOwner != heap)) {
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
        return new IllegalArgumentException(view + ": the view must lie inside one block, and the block at 0x"
                + Long.toHexString(blockStart) + " holds " + blockSize + " bytes, which end "
                + (blockStart + blockSize - address) + " bytes after the address");
    }

    /** An unchecked free whose block would reach past the committed heap: never a block this allocator made. */
    static IllegalArgumentException pastCommittedHeap(long address, long size, long blockSize, long heapEnd) {
        return new IllegalArgumentException("free: " + describe(address, size) + " would be a " + blockSize
                + "-byte block reaching past the end of this allocator's committed heap at 0x"
                + Long.toHexString(heapEnd) + ", so no block of it starts there (free checks are off, but a"
                + " block outside the heap is never taken)");
    }

    static IllegalStateException released(long address, long size) {
        return new IllegalStateException("free: " + describe(address, size) + " is in a chunk that trim() gave"
                + " back to the OS, where no block is handed out: a block freed twice, or an address that was"
                + " never a block's");
    }

    static IllegalArgumentException foreignScope(long address, long size, Span span) {
        return new IllegalArgumentException("free: " + describe(address, size) + " lies in " + span
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

    /** An unchecked free whose size is more than the class of the block at {@code address} holds. */
    static IllegalArgumentException pastClass(long address, long size, long blockSize) {
        return new IllegalArgumentException("free: " + describe(address, size) + " has " + size
                + " bytes but the block there is of the " + blockSize + "-byte class: free the segment allocate"
                + " returned, with the size it was allocated with");
    }

    static IllegalStateException badBlockState(long address) {
        return new IllegalStateException("bad block state: block 0x" + Long.toHexString(address)
                + " was in a free list while marked in use");
    }

    /** A close() that could not give everything back: what is left stays mapped until close() is called again. */
    static IllegalStateException closeIncomplete(String allocator, RuntimeException cause) {
        return new IllegalStateException("close() of NativeAllocator " + allocator + " could not give all its"
                + " memory back: " + cause.getMessage() + ". A segment of it is held by a downcall (a blocking"
                + " NIO read or write of a view, for example) or the OS refused the unmap; the allocator is"
                + " closed to new work, and what is left stays mapped and counted: call close() again once the"
                + " downcall has returned", cause);
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

    /** A virtual thread that waited too long for a stripe: no stripe changed hands, each held by a live thread. */
    static IllegalStateException stripesHeld(Thread waiter, ThreadCache[] stripes, long waitedMillis) {
        StringBuilder holders = new StringBuilder();
        for (ThreadCache stripe : stripes) {
            Thread holder = stripe == null ? null : stripe.owner;
            holders.append(holders.isEmpty() ? "" : ", ").append(holder == null ? "(being given back)" : holder);
        }
        return new IllegalStateException(waiter + " waited " + waitedMillis + " ms for one of the " + stripes.length
                + " caches that virtual threads share, and none changed hands meanwhile: each is held by a live thread: "
                + holders
                + ". A cache from borrowCache() must be closed (try-with-resources) and not held across blocking"
                + " work; a virtual thread that ends holding one gives it back by itself");
    }

    static MemoryLimitException memoryLimit(int sizeClass, long blockSize, long largeSize, long length, long limit,
                                            long resident) {
        return new MemoryLimitException("allocate: " + request(sizeClass, blockSize, largeSize) + " needs "
                + length + " more bytes mapped, but " + resident + " bytes are resident (Sys - Released) and the"
                + " memory limit is " + limit + " bytes, even after trim(); free blocks, or raise"
                + " AllocatorConfig.memoryLimit", length, limit, resident);
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
