package io.segpool.allocator;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The central pool of free blocks of one size class: a stack that thread caches trade whole
 * batches of {@link #BATCH} blocks with (the Go runtime's {@code stackcacherefill} and
 * {@code stackcacherelease}). It exists so that per-thread caches can stay small and bounded: a
 * cache that fills up gives half of itself here instead of growing, and a cache that runs dry takes
 * a batch from here before anything new is mapped.
 *
 * <p>It is the only shared mutable state on the refill/spill path, and every method holds this
 * object's monitor. The monitor word sits in the object header, and the padding superclasses keep
 * neighbouring classes' stacks off this one's cache lines.
 */
final class CentralStack extends CentralStackPadAfter {

    /** Blocks moved per refill or spill: half a ring, so a ring never refills and spills back to back. */
    static final int BATCH = 16;

    CentralStack(NativeAllocator owner, ChunkSource source, int sizeClass) {
        super(owner, source, sizeClass);
    }

    /**
     * Moves one batch of free blocks into {@code slots}, starting at {@code start} and wrapping
     * around the ring. Carves a new batch from a chunk, mapping one if needed, when fewer than a
     * batch are here. When the mapping is refused (the memory limit or the OS), trims every class
     * and tries once more before the refusal is thrown, with the ring unchanged. The trim runs
     * outside this stack's lock because it takes every class's lock in turn.
     */
    void refill(long[] slots, int start) {
        refill(slots, start, BATCH);
    }

    /** {@link #refill(long[], int)} of {@code n} blocks, {@code 1 <= n <= BATCH}: the ablations take fewer. */
    void refill(long[] slots, int start, int n) {
        synchronized (this) {
            if (tryRefill(slots, start, n, false)) {
                return;
            }
        }
        owner.trimForMemory();
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
        owner.checkOpen();
        if (count < n && !carve(lastTry)) {
            return false;
        }
        int mask = slots.length - 1;
        for (int i = 0; i < n; i++) {
            slots[(start + i) & mask] = blocks[--count];
        }
        refills++;
        return true;
    }

    /** Takes one batch of blocks from {@code slots} (from {@code start}, wrapping) onto the stack. */
    synchronized void spill(long[] slots, int start) {
        owner.checkOpen();
        pushAll(slots, start, BATCH);
        spills++;
    }

    /** Takes one block back; for the no-cache ablation, where every free comes here. */
    synchronized void spillOne(long address) {
        owner.checkOpen();
        if (count == blocks.length) {
            blocks = Arrays.copyOf(blocks, blocks.length * 2);
        }
        blocks[count++] = address;
        spills++;
    }

    /** Takes {@code n} blocks of a cache that no thread uses any more (from {@code start}, wrapping). */
    synchronized void reclaim(long[] slots, int start, int n) {
        pushAll(slots, start, n);
    }

    private void pushAll(long[] slots, int start, int n) {
        if (count + n > blocks.length) {
            blocks = Arrays.copyOf(blocks, Math.max(blocks.length * 2, count + n));
        }
        int mask = slots.length - 1;
        for (int i = 0; i < n; i++) {
            blocks[count++] = slots[(start + i) & mask];
        }
    }

    /**
     * Carves the next batch of the current chunk onto the stack, mapping a fresh chunk when it is
     * used up. False, with nothing changed, when that mapping was refused and not {@code lastTry}.
     */
    private boolean carve(boolean lastTry) {
        if (carving == null || carving.carved == carving.blockCount) {
            Chunk fresh = source.mapClassChunk(sizeClass, lastTry);
            if (fresh == null) {
                return false;
            }
            carving = fresh;
            chunks.add(carving);
        }
        if (count + BATCH > blocks.length) {
            blocks = Arrays.copyOf(blocks, Math.max(blocks.length * 2, count + BATCH));
        }
        // Highest address first, so the ring hands out the batch in ascending address order.
        for (int i = BATCH - 1; i >= 0; i--) {
            blocks[count++] = carving.blockAddress(carving.carved + i);
        }
        carving.carved += BATCH;
        return true;
    }

    /**
     * Gives back to the OS every chunk of this class whose blocks are all here (on the stack or
     * not yet carved). Returns the bytes unmapped.
     */
    synchronized long trim() {
        for (int i = 0; i < count; i++) {
            ChunkMap.lookup(blocks[i]).trimCount++;
        }
        List<Chunk> released = new ArrayList<>();
        for (Chunk chunk : chunks) {
            if (chunk.trimCount + (chunk.blockCount - chunk.carved) == chunk.blockCount) {
                chunk.trimmed = true;
                released.add(chunk);
            }
            chunk.trimCount = 0;
        }
        if (released.isEmpty()) {
            return 0;
        }
        int kept = 0;
        for (int i = 0; i < count; i++) {
            if (!ChunkMap.lookup(blocks[i]).trimmed) {
                blocks[kept++] = blocks[i];
            }
        }
        count = kept;
        long bytes = 0;
        for (Chunk chunk : released) {
            chunks.remove(chunk);
            if (chunk == carving) {
                carving = null;
            }
            source.release(chunk);
            bytes += chunk.length;
        }
        return bytes;
    }

    /** Bytes of free blocks here, counting chunk space not yet carved. */
    synchronized long bytes() {
        long uncarved = carving == null ? 0 : carving.blockCount - carving.carved;
        return (count + uncarved) * blockSize;
    }

    synchronized long refills() {
        return refills;
    }

    synchronized long spills() {
        return spills;
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
    final NativeAllocator owner;
    final ChunkSource source;
    final int sizeClass;
    final long blockSize;
    /** Addresses of free blocks; the top is at {@code count - 1}. */
    long[] blocks = new long[4 * CentralStack.BATCH];
    int count;
    /** The chunk that {@code carve} takes batches from, or null. */
    Chunk carving;
    /** Every chunk of this class that is mapped now. */
    final List<Chunk> chunks = new ArrayList<>();
    long refills;
    long spills;

    CentralStackFields(NativeAllocator owner, ChunkSource source, int sizeClass) {
        this.owner = owner;
        this.source = source;
        this.sizeClass = sizeClass;
        this.blockSize = SizeClasses.size(sizeClass);
    }
}

/** Cache-line padding after the fields of a {@link CentralStack}. */
abstract class CentralStackPadAfter extends CentralStackFields {
    long q00, q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15;

    CentralStackPadAfter(NativeAllocator owner, ChunkSource source, int sizeClass) {
        super(owner, source, sizeClass);
    }
}
