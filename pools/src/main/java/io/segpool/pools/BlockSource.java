package io.segpool.pools;

import io.segpool.allocator.NativeAllocator;
import io.segpool.allocator.ThreadCache;

import java.lang.foreign.MemorySegment;

/**
 * One {@link DeferScope}'s defer blocks outside its chain: the spare it keeps per pooled defer
 * class, and the allocator the others come from and go back to, through the cache of the scope's
 * owner thread (a virtual thread's go through the allocator's shared caches). Every block goes
 * back zeroed whole (no argument byte of one owner is seen by the next), so every block it hands out is zero, and
 * a spare holds only its own last defer's bytes. Owned by the scope's thread; plain fields.
 *
 * <p>A spare stays here while a pending defer holds it, with its free bit clear, so that the
 * steady defer-then-run loop stores no reference (a reference store pays a GC barrier).
 */
final class BlockSource {

    private final NativeAllocator allocator;
    /** Per pooled defer class, the spare, or null. */
    private final MemorySegment[] spares = new MemorySegment[DeferBlocks.CLASSES];
    /** Bit c set: {@code spares[c]} is free, not holding a pending defer. */
    private int freeSpares;
    /** The thread whose cache blocks come from and go back to. */
    private Thread owner;
    /** The owner's cache; null for a virtual thread or before first use after a move. */
    private ThreadCache cache;

    BlockSource(NativeAllocator allocator, Thread owner) {
        this.allocator = allocator;
        this.owner = owner;
    }

    /** A block for {@code argSize} argument bytes: the free spare of its class, or a new one. */
    MemorySegment take(long argSize) {
        if (argSize <= DeferBlocks.MAX_POOLED_ARGS) {
            int deferClass = DeferBlocks.deferClass(argSize);
            if ((freeSpares & 1 << deferClass) != 0) {
                freeSpares &= ~(1 << deferClass);
                return spares[deferClass];
            }
        }
        return allocate(argSize);
    }

    /** Undoes {@link #take} for a defer that failed: a spare is free again, a new block goes back. */
    void untake(MemorySegment block, long argSize) {
        int deferClass = DeferBlocks.deferClass(argSize);
        if (argSize <= DeferBlocks.MAX_POOLED_ARGS && spares[deferClass] == block) {
            freeSpares |= 1 << deferClass;
        } else {
            free(block);
        }
    }

    /**
     * Keeps a block whose defer ran as its class's spare if it is the spare or the class has none;
     * false, keeping nothing, when the caller must free it.
     */
    boolean keep(MemorySegment block, int argSize) {
        if (argSize > DeferBlocks.MAX_POOLED_ARGS) {
            return false;
        }
        int deferClass = DeferBlocks.deferClass(argSize);
        MemorySegment spare = spares[deferClass];
        if (spare == null) {
            spares[deferClass] = block;
        } else if (spare != block) {
            return false;
        }
        freeSpares |= 1 << deferClass;
        return true;
    }

    /**
     * Gives the free spares back and forgets the ones holding pending defers: those go back when
     * run. Every spare is dealt with even if a free throws; returns {@code failure} with what the
     * frees threw added.
     */
    Throwable freeSpares(Throwable failure) {
        for (int c = 0; c < spares.length; c++) {
            MemorySegment spare = spares[c];
            if (spare != null) {
                spares[c] = null;
                if ((freeSpares & 1 << c) != 0) {
                    freeSpares &= ~(1 << c);
                    failure = free(spare, failure);
                }
            }
        }
        return failure;
    }

    /**
     * At a scope's close: the free spares go back, then the first {@code count} blocks of
     * {@code chain}, which hold defers that will not run (spares held by them included). Returns
     * {@code failure} with what the frees threw added.
     */
    Throwable freeAll(MemorySegment[] chain, int count, Throwable failure) {
        failure = freeSpares(failure);
        for (int i = count - 1; i >= 0; i--) {
            failure = free(chain[i], failure);
            chain[i] = null;
        }
        return failure;
    }

    /** At a scope's close with the pool closed: its memory is gone, so every block is only forgotten. */
    Throwable dropAll(MemorySegment[] chain, Throwable failure) {
        java.util.Arrays.fill(chain, null);
        java.util.Arrays.fill(spares, null);
        freeSpares = 0;
        return failure;
    }

    /** A new block for {@code argSize} argument bytes. */
    MemorySegment allocate(long argSize) {
        long blockSize = DeferBlocks.blockSize(argSize);
        ThreadCache own = cache();
        return own != null ? own.allocate(blockSize) : allocator.allocate(blockSize);
    }

    /** Zeroes a block whole and gives it back; a closed pool's block is only forgotten (its memory is gone). */
    void free(MemorySegment block) {
        if (!allocator.isOpen()) {
            return;
        }
        block.fill((byte) 0);
        ThreadCache own = cache();
        if (own != null) {
            own.freeAddress(block.address(), block.byteSize());
        } else {
            allocator.freeAddress(block.address(), block.byteSize());
        }
    }

    /** {@link #free(MemorySegment)}, adding what it throws to {@code failure} instead of throwing. */
    Throwable free(MemorySegment block, Throwable failure) {
        try {
            free(block);
            return failure;
        } catch (RuntimeException | Error e) {
            return Failures.add(failure, e);
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
