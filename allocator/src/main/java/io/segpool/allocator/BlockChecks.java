package io.segpool.allocator;

/**
 * The slow path of the block-state checks: what a free does when the one compare of the fast path
 * fails (a block handed out with an alignment into a larger class than its size names, or a wrong
 * call to refuse with the reason), and the hand-out and release work of the optional modes
 * (zeroing, debug poison, leak tracking). Kept out of {@link ThreadCache} so that its hot methods
 * stay small enough to inline.
 */
final class BlockChecks {

    private final Heap heap;
    private final boolean zeroed;
    private final boolean checkFrees;
    /** Debug mode's poison, or null. */
    private final Poison poison;
    /** Allocation sites for leak reports, or null. */
    private final LeakTracker leaks;

    BlockChecks(Heap heap, AllocatorConfig config, MemoryMapper edges) {
        this.heap = heap;
        this.zeroed = config.zeroed();
        this.checkFrees = config.checkFrees();
        this.poison = config.debug() ? new Poison() : null;
        this.leaks = config.leakTracking() == AllocatorConfig.LeakTracking.OFF ? null : new LeakTracker(config.leakTracking(), edges);
    }

    /** The mode bits a cache runs with; see {@link ThreadCache#CHECKED}. */
    static int mode(AllocatorConfig config) {
        int mode = config.checkFrees() ? ThreadCache.CHECKED : ThreadCache.UNCHECKED;
        boolean extras = config.zeroed() || config.debug() || config.leakTracking() != AllocatorConfig.LeakTracking.OFF;
        return extras ? mode | ThreadCache.EXTRAS : mode;
    }

    LeakTracker leaks() {
        return leaks;
    }

    /**
     * The hand-out of a block in a mode with extras: the leak record, the debug poison check, the
     * state, the zeroing. Returns the write-after-free error for the caller to throw once the
     * block has left its ring (it stays out of use), or null. The leak record comes first because
     * it is the step that allocates (and so can fail): when it throws, nothing has changed and
     * the block is still in the ring.
     */
    RuntimeException handOutExtras(int sizeClass, long offset, long size) {
        try {
            if (leaks != null) {
                leaks.allocated(heap.base + offset, size);
            }
            IllegalStateException trapped = poison == null ? null : poison.check(heap, offset, SizeClasses.size(sizeClass));
            if (checkFrees) {
                if (poison != null && !BlockState.isFree(heap, sizeClass, offset)) {
                    throw Refusals.badBlockState(heap.base + offset);
                }
                BlockState.handOut(heap.all, heap.intTable, heap.byteTable, sizeClass, offset, size);
            }
            if (trapped != null) {
                return trapped;
            }
            if (zeroed) {
                heap.all.asSlice(offset, size).fill((byte) 0);
            }
            return null;
        } catch (IllegalStateException e) {
            throw heap.closedOr(e);
        }
    }

    /**
     * The free of a block in a mode with extras, after its state was checked and cleared: the
     * poison, the put into {@code cache}'s ring, then the leak record's removal (which cannot
     * fail). When the poison or the put throws, the block goes back to handed out (the caller
     * still owns it) and nothing else changed.
     */
    void releaseExtras(ThreadCache cache, int sizeClass, long offset, long size) {
        try {
            if (poison != null) {
                poison.fill(heap, offset, SizeClasses.size(sizeClass));
            }
            cache.put(sizeClass, offset, size);
        } catch (RuntimeException | Error e) {
            if (poison != null) {
                poison.forget(offset, SizeClasses.size(sizeClass));
            }
            cache.undoRelease(sizeClass, offset, size);
            throw e;
        }
        if (leaks != null) {
            leaks.freed(heap.base + offset);
        }
    }

    /** The refusal of a free whose size is above every class, or whose address is not 16-byte aligned. */
    RuntimeException refuseFree(long offset, long size) {
        int sizeClass = heap.classAt(offset);
        if (sizeClass < 0) {
            return refuseNoChunk(offset, size);
        }
        long start = blockStart(sizeClass, offset);
        if (start != offset) {
            return Refusals.notBlockStart(heap.base + offset, size, offset - start, SizeClasses.size(sizeClass));
        }
        long blockSize = SizeClasses.size(sizeClass);
        if (!checkFrees) {
            // No state is kept: the block's class is all that is known, and the size is past it.
            return Refusals.pastClass(heap.base + offset, size, blockSize);
        }
        long handedOut = BlockState.handedOutSize(heap, sizeClass, offset);
        return handedOut < 0 ? Refusals.doubleFree(heap.base + offset, size, blockSize)
                : Refusals.wrongSize(heap.base + offset, size, handedOut);
    }

    /**
     * A checked free whose state did not match the code its size names. Accepts a block that was
     * allocated with an alignment into a larger class (marks it free and returns that class);
     * refuses anything else with the reason, before any state changes.
     */
    int releaseMismatch(long offset, long size) {
        int sizeClass = heap.classAt(offset);
        if (sizeClass < 0) {
            throw refuseNoChunk(offset, size);
        }
        long blockSize = SizeClasses.size(sizeClass);
        long start = blockStart(sizeClass, offset);
        if (start != offset) {
            throw Refusals.notBlockStart(heap.base + offset, size, offset - start, blockSize);
        }
        long handedOut = BlockState.handedOutSize(heap, sizeClass, offset);
        if (handedOut < 0) {
            throw Refusals.doubleFree(heap.base + offset, size, blockSize);
        }
        if (handedOut != size
                || !BlockState.free(heap.all, heap.intTable, heap.byteTable, sizeClass, offset, size)) {
            throw Refusals.wrongSize(heap.base + offset, size, handedOut);
        }
        return sizeClass;
    }

    private long blockStart(int sizeClass, long offset) {
        long chunk = heap.chunkStart(offset);
        long blockSize = SizeClasses.size(sizeClass);
        return chunk + (offset - chunk) / blockSize * blockSize;
    }

    private RuntimeException refuseNoChunk(long offset, long size) {
        if (offset >= 0 && offset < heap.topAcquire()) {
            return Refusals.released(heap.base + offset, size);
        }
        return Refusals.notFromHere(heap, heap.base + offset, size, null, null);
    }

    /** A chunk at heap {@code offset} went back to the OS: debug mode forgets its freed blocks. */
    void chunkReleased(long offset, long length) {
        if (poison != null) {
            poison.forget(offset, length);
        }
    }
}
