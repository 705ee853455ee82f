package io.segpool.allocator;

import java.util.Objects;

/**
 * Batch allocation and free: runs of blocks of one size class taken from and put into a thread's
 * ring with one count update per run, instead of one call per block. The checks are a single
 * free's, and a batch is all or nothing: a wrong address anywhere (foreign, interior, free,
 * another size, twice in the batch) refuses the whole batch with the single free's exception,
 * leaving every block as it was. Only a close racing the call can stop a batch half way (the
 * allocator is then closed, and its memory with it).
 */
final class Batches {

    private Batches() {
    }

    /** The class of a batch's blocks; refuses a size above the classes and bad bounds. */
    private static int batchClass(long size, long[] addresses, int offset, int count) {
        Objects.checkFromIndexSize(offset, count, addresses.length);
        if (size < 0 || size > SizeClasses.MAX_SIZE) {
            throw new IllegalArgumentException("batch of " + size + "-byte blocks: batches are for sizes 0 to "
                    + SizeClasses.MAX_SIZE + " (the size classes); allocate a large block alone");
        }
        return SizeClasses.classOf(size);
    }

    /** Fills {@code addresses[offset..offset+count)} with blocks of {@code size} bytes. */
    static void allocate(ThreadCache cache, long size, long[] addresses, int offset, int count) {
        int sizeClass = batchClass(size, addresses, offset, count);
        if ((cache.mode & ThreadCache.EXTRAS) != 0) {
            allocateOneByOne(cache, sizeClass, size, addresses, offset, count);
            return;
        }
        long[] ring = cache.rings[sizeClass];
        if (ring == null) {
            ring = cache.newRing(sizeClass);
        }
        int done = 0;
        try {
            while (done < count) {
                int n = (int) ring[ThreadCache.COUNT];
                if (n == 0) {
                    n = cache.refill(sizeClass, ring);
                }
                int run = Math.min(n, count - done);
                for (int i = 0; i < run; i++) {
                    long block = ring[ThreadCache.HEADER - 1 + n - i];
                    if (cache.mode == ThreadCache.CHECKED) {
                        BlockState.handOut(cache.all, cache.intTable, cache.byteTable, sizeClass, block, size);
                    }
                    addresses[offset + done + i] = cache.base + block;
                }
                if (cache.mode == ThreadCache.UNCHECKED && !cache.heap.isAlive()) {
                    throw Refusals.closed();
                }
                ring[ThreadCache.COUNT] = n - run;
                done += run;
            }
        } catch (RuntimeException | Error e) {
            // A refill refused (the limit, the OS, close): the blocks handed out so far go back.
            free(cache, size, addresses, offset, done);
            throw e;
        }
    }

    private static void allocateOneByOne(ThreadCache cache, int sizeClass, long size, long[] addresses, int offset,
                                         int count) {
        int done = 0;
        try {
            for (; done < count; done++) {
                addresses[offset + done] = cache.base + cache.take(sizeClass, size);
            }
        } catch (RuntimeException | Error e) {
            for (int i = 0; i < done; i++) {
                cache.release(addresses[offset + i] - cache.base, size);
            }
            throw e;
        }
    }

    /**
     * Frees {@code addresses[offset..offset+count)}, blocks of {@code size} bytes; all or none.
     * The caller's array is read once, into {@link #snapshot}: the blocks checked are the blocks
     * freed, even if another thread writes the array meanwhile (else an entry changed after its
     * check would put an unchecked, perhaps live, block on a free list).
     */
    static void free(ThreadCache cache, long size, long[] addresses, int offset, int count) {
        int sizeClass = batchClass(size, addresses, offset, count);
        long[] blocks = snapshot(cache, addresses, offset, count);
        free(cache, sizeClass, size, blocks, count);
    }

    /** The largest batch whose snapshot a cache keeps for the next: 8 KiB of longs. */
    static final int KEPT_SNAPSHOT = 1024;

    /**
     * A copy of the batch's addresses in an array only this call uses: the cache's own (its owner,
     * or the virtual thread holding the stripe, is the only caller) for batches of up to
     * {@link #KEPT_SNAPSHOT} blocks, made at its first batch, so that those make no garbage; a new
     * one above.
     */
    private static long[] snapshot(ThreadCache cache, long[] addresses, int offset, int count) {
        long[] blocks;
        if (count > KEPT_SNAPSHOT) {
            blocks = new long[count];
        } else if ((blocks = cache.batchSnapshot) == null) {
            blocks = cache.batchSnapshot = new long[KEPT_SNAPSHOT];
        }
        System.arraycopy(addresses, offset, blocks, 0, count);
        return blocks;
    }

    private static void free(ThreadCache cache, int sizeClass, long size, long[] blocks, int count) {
        markAllFree(cache, sizeClass, size, blocks, 0, count);
        if ((cache.mode & ThreadCache.EXTRAS) != 0) {
            for (int i = 0; i < count; i++) {
                long block = blocks[i] - cache.base;
                cache.undoRelease(sizeClass, block, size); // checked above; the single free does the rest
                cache.release(block, size);
            }
            return;
        }
        long[] ring = cache.rings[sizeClass];
        if (ring == null) {
            ring = cache.newRing(sizeClass);
        }
        int i = 0;
        try {
            while (i < count) {
                int n = (int) ring[ThreadCache.COUNT];
                int room = (int) ring[ThreadCache.LIMIT] - n;
                if (room == 0) {
                    cache.put(sizeClass, blocks[i] - cache.base, size); // spills a batch first
                    i++;
                    continue;
                }
                int run = Math.min(room, count - i);
                for (int k = 0; k < run; k++) {
                    ring[ThreadCache.HEADER + n + k] = blocks[i + k] - cache.base;
                }
                ring[ThreadCache.COUNT] = n + run;
                ring[ThreadCache.FREES] += run;
                i += run;
            }
        } catch (RuntimeException | Error e) {
            // The spill was refused (only close() does that): block i went back to handed out,
            // and so do the blocks after it, which never reached the ring.
            for (int k = i + 1; k < count; k++) {
                cache.undoRelease(sizeClass, blocks[k] - cache.base, size);
            }
            throw e;
        }
    }

    /**
     * The checks of every block of a batch, first: each must be a block of the size's class
     * handed out with {@code size} bytes. Checked, each is marked free as it passes (so a block
     * named twice fails as a double free); at the first that fails, those marked go back to
     * handed out and the single free's refusal is thrown.
     */
    private static void markAllFree(ThreadCache cache, int sizeClass, long size, long[] addresses, int offset,
                                    int count) {
        boolean checked = (cache.mode & ThreadCache.CHECKED) != 0;
        int i = 0;
        try {
            for (; i < count; i++) {
                long block = addresses[offset + i] - cache.base;
                if (cache.heap.pastTop(block)) {
                    throw cache.large.batchRefusal(cache.base + block, size);
                }
                if ((block & (SizeClasses.GRANULE - 1)) != 0) {
                    throw cache.checks.refuseFree(block, size);
                }
                if (!checked) {
                    if (cache.uncheckedClass(sizeClass, block, size) != sizeClass) {
                        throw notThisClass(cache.base + block, size);
                    }
                } else if (!BlockState.free(cache.all, cache.intTable, cache.byteTable, sizeClass, block, size)
                        && cache.checks.releaseMismatch(block, size) != sizeClass) {
                    cache.undoRelease(cache.heap.classAt(block), block, size);
                    throw notThisClass(cache.base + block, size);
                }
            }
        } catch (RuntimeException | Error e) {
            for (int k = 0; k < i; k++) {
                cache.undoRelease(sizeClass, addresses[offset + k] - cache.base, size);
            }
            throw e;
        }
    }

    private static IllegalArgumentException notThisClass(long address, long size) {
        return new IllegalArgumentException("freeBatch: the block at 0x" + Long.toHexString(address) + " was allocated"
                + " into a larger size class than " + size + " bytes name (with an alignment): a batch holds blocks"
                + " of one size class; free it with freeAddress");
    }
}
