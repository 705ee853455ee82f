package io.segpool.jcstress;

import io.segpool.allocator.NativeAllocator;
import io.segpool.allocator.EngineProbe;
import io.segpool.stats.MemStats;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * One size class a jcstress state runs its shape on, with the geometry the shape's counts follow:
 * the ring's capacity and batch and the chunk's bytes, read from the allocator's own
 * {@link MemStats} class rows so that the tests never restate the sizing rules.
 *
 * <p>The races do not depend on the size, but the paths do: the 16 B class keeps its block state
 * as the size alone, 64 B has one state entry per block, 80 B spans two and sits in chunks of
 * five 64 KiB granules, 1024 B is the common case, and 256 KiB has a one-block ring that grows
 * into four slots, a one-block batch and one-block chunks (every refill carves a chunk, every trim
 * of a free block releases one). Each state takes the next case in turn ({@link #next()}), so one test class covers them
 * all in the time it took to cover one, and its result rows name the size.
 *
 * @param size       the request and block size, in bytes
 * @param sizeClass  the allocator's index of the class
 * @param capacity   the blocks a fresh ring of the class holds before it spills or grows
 * @param slots      the most blocks a ring of the class can hold: the capacity, or four for a large ring
 * @param batch      the blocks a refill takes and a spill gives at once
 * @param chunkBytes the bytes of one chunk of the class
 */
record SizeCase(long size, int sizeClass, int capacity, int slots, int batch, long chunkBytes) {

    /** The sizes the parameterized shapes cycle through. */
    static final long[] SIZES = {16, 64, 80, 1024, 256 << 10};

    /** The case of today's single-size shapes: 1024 B, a 32-block ring, batches of 16, 64 blocks to a chunk. */
    static final SizeCase DEFAULT;

    private static final SizeCase[] CASES;
    private static final AtomicInteger NEXT = new AtomicInteger();

    static {
        EngineProbe engine = EngineProbe.INSTANCE;
        MemStats stats = new MemStats();
        try (NativeAllocator allocator = RaceChecks.newAllocator()) {
            allocator.readMemStats(stats);
        }
        CASES = new SizeCase[SIZES.length];
        for (int i = 0; i < SIZES.length; i++) {
            int c = engine.sizeClassOf(SIZES[i]);
            if (stats.classSize(c) != SIZES[i]) {
                throw new IllegalStateException(SIZES[i] + " B is no size class: the class holding it is "
                        + stats.classSize(c) + " B");
            }
            CASES[i] = new SizeCase(SIZES[i], c, stats.classRingCapacity(c), engine.ringSlots(c), stats.classBatch(c),
                    stats.classChunkBytes(c));
        }
        int c = engine.sizeClassOf(1024);
        DEFAULT = new SizeCase(1024, c, stats.classRingCapacity(c), engine.ringSlots(c), stats.classBatch(c),
                stats.classChunkBytes(c));
    }

    /**
     * The next case in turn. jcstress builds states from both actor threads (each re-initialises
     * half of an epoch's states), hence the atomic counter.
     */
    static SizeCase next() {
        return CASES[Math.floorMod(NEXT.getAndIncrement(), CASES.length)];
    }

    /** The next case in turn among {@code sizes}, each one of {@link #SIZES}: for a shape that some sizes make too slow. */
    static SizeCase next(long... sizes) {
        long size = sizes[Math.floorMod(NEXT.getAndIncrement(), sizes.length)];
        for (SizeCase c : CASES) {
            if (c.size == size) {
                return c;
            }
        }
        throw new IllegalArgumentException(size + " B is not one of SizeCase.SIZES");
    }

    /** Blocks in one chunk of the class. */
    int blocksPerChunk() {
        return (int) (chunkBytes / size);
    }
}
