package io.segpool.allocator;

import java.util.Arrays;

/**
 * The central pool of free blocks of one size class: a stack that thread caches trade whole
 * batches with (16 blocks for classes up to 8 KiB, fewer above: {@link SizeClasses#batch}) (the Go runtime's {@code stackcacherefill} and
 * {@code stackcacherelease}). It exists so that per-thread caches can stay small and bounded: a
 * cache that fills up gives half of itself here instead of growing, and a cache that runs dry takes
 * a batch from here before anything new is mapped.
 *
 * <p>It is the only shared mutable state on the refill/spill path, and every method holds this
 * object's monitor. The monitor word sits in the object header, and the padding superclasses keep
 * neighbouring classes' stacks off this one's cache lines.
 */
final class CentralStack extends CentralStackPadAfter {

    /**
     * Blocks moved per refill or spill for classes up to 8 KiB: half a ring, so a ring never
     * refills and spills back to back. Larger classes move fewer ({@link SizeClasses#batch}).
     */
    static final int BATCH = 16;

    CentralStack(Heap heap, int sizeClass, Rooms rooms) {
        super(heap, sizeClass, rooms);
    }

    /**
     * Moves {@code n} free blocks ({@code 1 <= n <= } a batch) into
     * {@code slots[start..start+n)}. Carves a new batch from a chunk, carving a chunk from the heap
     * if needed, when fewer than {@code n} are here. When the heap refuses (the memory limit or the
     * OS), trims every class and tries once more before the refusal is thrown, with the ring
     * unchanged. The trim runs outside this stack's lock because it takes every class's lock in turn.
     */
    void refill(long[] slots, int start, int n) {
        synchronized (this) {
            if (tryRefill(slots, start, n, false)) {
                return;
            }
        }
        pressure.trimForMemory();
        synchronized (this) {
            tryRefill(slots, start, n, true);
        }
    }

    /**
     * The body of {@link #refill}. Returns false, with nothing changed, when a chunk was needed and
     * refused; throws the refusal instead when {@code lastTry}. Must be called with this stack's
     * monitor held.
     */
    private boolean tryRefill(long[] slots, int start, int n, boolean lastTry) {
        live.check();
        while (count < n) {
            if (!carve(lastTry)) {
                return false;
            }
        }
        // The top of the stack goes to the top of the ring, which hands it out first.
        for (int i = n - 1; i >= 0; i--) {
            slots[start + i] = blocks[--count];
        }
        refills++;
        cached.add(-n * blockSize);
        return true;
    }

    /** Takes {@code n} blocks from {@code slots[start..start+n)} onto the stack: one batch from a full ring. */
    synchronized void spill(long[] slots, int start, int n) {
        live.check();
        pushAll(slots, start, n);
        cached.add(n * blockSize);
        spills++;
    }

    /** Takes {@code n} blocks of a cache that no thread uses any more. */
    synchronized void reclaim(long[] slots, int start, int n) {
        pushAll(slots, start, n);
        cached.add(n * blockSize);
        reclaims++;
    }

    private void pushAll(long[] slots, int start, int n) {
        if (count + n > blocks.length) {
            blocks = Arrays.copyOf(blocks, Math.max(blocks.length * 2, count + n));
        }
        System.arraycopy(slots, start, blocks, count, n);
        count += n;
    }

    /**
     * Carves the next batch of the current chunk onto the stack, carving a fresh chunk from the
     * heap when it is used up. False, with nothing changed, when that was refused and not
     * {@code lastTry}.
     */
    private boolean carve(boolean lastTry) {
        if (count + batch > blocks.length) {
            blocks = Arrays.copyOf(blocks, Math.max(blocks.length * 2, count + batch));
        }
        if (carving < 0 || carved == blocksPerChunk) {
            if (chunkCount == chunks.length) {
                chunks = Arrays.copyOf(chunks, chunks.length * 2);
            }
            // After the heap's carve nothing can fail: the chunk is always tracked.
            long fresh = heap.carve(sizeClass, chunkBytes, lastTry);
            if (fresh < 0) {
                return false;
            }
            carving = fresh;
            carved = 0;
            addChunk(fresh);
            cached.add(chunkBytes);
        }
        int n = Math.min(batch, blocksPerChunk - carved);
        // Highest offset first, so the ring hands out the batch in ascending address order.
        for (int i = n - 1; i >= 0; i--) {
            blocks[count++] = carving + (carved + i) * blockSize;
        }
        carved += n;
        return true;
    }

    private void addChunk(long offset) {
        if (chunkCount == chunks.length) {
            chunks = Arrays.copyOf(chunks, chunks.length * 2);
        }
        chunks[chunkCount++] = offset;
    }

    /**
     * Gives back to the OS every chunk of this class whose blocks are all here (on the stack or,
     * for the chunk being carved, not carved yet). Returns the bytes released. Under this stack's
     * lock it only sorts the stack and the chunk list, sweeps them together and takes the free
     * chunks out (no per-block lookup structure is kept for this); the {@code madvise} of each
     * chunk runs after the lock is let go, so a refill of this class waits for the sweep, never
     * for the OS. Chunks on their way out count in {@code Central} until they are released; a
     * chunk the OS refuses to release goes back on the stack (see {@link #putBack}), so a fault
     * in the middle of a trim leaves every byte counted and the class usable.
     */
    long trim() {
        long[] free;
        int freeCount = 0;
        synchronized (this) {
            if (chunkCount == 0) {
                return 0;
            }
            Arrays.sort(blocks, 0, count);
            Arrays.sort(chunks, 0, chunkCount);
            free = new long[chunkCount];
            int keptChunks = 0;
            int keptBlocks = 0;
            int next = 0;
            for (int c = 0; c < chunkCount; c++) {
                long chunk = chunks[c];
                int first = next;
                while (next < count && blocks[next] < chunk + chunkBytes) {
                    next++;
                }
                int here = next - first;
                int expected = chunk == carving ? carved : blocksPerChunk;
                if (here == expected) {
                    free[freeCount++] = chunk;
                    if (chunk == carving) {
                        carving = -1;
                    }
                } else {
                    chunks[keptChunks++] = chunk;
                    System.arraycopy(blocks, first, blocks, keptBlocks, here);
                    keptBlocks += here;
                }
            }
            chunkCount = keptChunks;
            count = keptBlocks;
            releasing += freeCount * chunkBytes;
            cached.add(-freeCount * chunkBytes);
        }
        long bytes = 0;
        RuntimeException closed = null;
        for (int i = 0; i < freeCount; i++) {
            // Debug mode forgets the chunk's freed blocks first: once released, the range may be
            // carved again at once, and its zeros must not read as a write after free.
            checks.chunkReleased(free[i], chunkBytes);
            try {
                heap.release(free[i], chunkBytes);
            } catch (RuntimeException e) {
                // The OS refused the madvise, or close() ran meanwhile: the chunk comes back
                // whole, free and counted, for a later trim (or the close) to give back.
                putBack(free[i]);
                if (heap.isClosed()) {
                    closed = e;
                }
                continue;
            }
            bytes += chunkBytes;
            synchronized (this) {
                releasing -= chunkBytes;
            }
        }
        if (closed != null) {
            throw closed;
        }
        return bytes;
    }

    /** A chunk that {@link #trim} took out and could not release goes back on the stack, every block free. */
    private synchronized void putBack(long chunk) {
        releasing -= chunkBytes;
        addChunk(chunk);
        if (count + blocksPerChunk > blocks.length) {
            blocks = Arrays.copyOf(blocks, Math.max(blocks.length * 2, count + blocksPerChunk));
        }
        for (int b = blocksPerChunk - 1; b >= 0; b--) {
            blocks[count++] = chunk + b * blockSize;
        }
        cached.add(chunkBytes);
    }

    /** Bytes of free blocks here, counting chunk space not yet carved. */
    synchronized long bytes() {
        long uncarved = carving < 0 ? 0 : blocksPerChunk - carved;
        return (count + uncarved) * blockSize + releasing;
    }

    synchronized long refills() {
        return refills;
    }

    synchronized long spills() {
        return spills;
    }

    /** Batches taken from caches no thread uses (or their owners flushed); activity for the background release. */
    synchronized long reclaims() {
        return reclaims;
    }

    /** Blocks on the stack now (not counting uncarved space); for tests. */
    synchronized int blockCount() {
        return count;
    }
}

/** Cache-line padding before the fields of a {@link CentralStack}. */
abstract class CentralStackPadBefore {
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
}

/** The fields of a {@link CentralStack}; all but the final ones are guarded by its monitor. */
abstract class CentralStackFields extends CentralStackPadBefore {
    final Heap heap;
    final Liveness live;
    /** Asked to trim the other rooms before a refused chunk is tried again. */
    final MemoryPressure pressure;
    final CachedBytes cached;
    final BlockChecks checks;
    final int sizeClass;
    final long blockSize;
    final int blocksPerChunk;
    final long chunkBytes;
    /** Blocks carved onto the stack at once: one ring batch. */
    final int batch;
    /** Heap offsets of free blocks; the top is at {@code count - 1}. */
    long[] blocks = new long[4 * CentralStack.BATCH];
    int count;
    /** Offset of the chunk that {@code carve} takes batches from, or -1. */
    long carving = -1;
    /** Blocks of {@link #carving} carved so far. */
    int carved;
    /** Offsets of every chunk of this class carved and not released, in {@code chunks[0..chunkCount)}. */
    long[] chunks = new long[4];
    int chunkCount;
    long refills;
    long spills;
    long reclaims;
    /** Bytes of chunks a {@code trim()} took out of this stack and has not released yet. */
    long releasing;

    CentralStackFields(Heap heap, int sizeClass, Rooms rooms) {
        this.heap = heap;
        this.live = rooms.live();
        this.pressure = rooms.pressure();
        this.cached = rooms.cached();
        this.checks = rooms.checks();
        this.sizeClass = sizeClass;
        this.blockSize = SizeClasses.size(sizeClass);
        this.blocksPerChunk = SizeClasses.blocksPerChunk(sizeClass);
        this.chunkBytes = blocksPerChunk * blockSize;
        this.batch = SizeClasses.batch(sizeClass);
    }
}

/** Cache-line padding after the fields of a {@link CentralStack}. */
abstract class CentralStackPadAfter extends CentralStackFields {
    long q00, q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15;

    CentralStackPadAfter(Heap heap, int sizeClass, Rooms rooms) {
        super(heap, sizeClass, rooms);
    }
}
