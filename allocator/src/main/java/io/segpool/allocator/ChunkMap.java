package io.segpool.allocator;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The address map of every chunk segpool has mapped, in this JVM, for all allocators: from an
 * address to the chunk that holds it in two array loads (the Go runtime's arena index). A free
 * needs it to find a block's chunk from nothing but its address.
 *
 * <p>Chunks start on {@link ChunkSource#CHUNK_ALIGNMENT} boundaries and are whole multiples of it,
 * so each 64 KiB granule of the address space belongs to at most one chunk. The map is a root of
 * 65,536 regions of 4 GiB, each an array of 65,536 granules, made when first needed.
 *
 * <p>Writers ({@link #register}, {@link #unregister}) hold the class lock and publish with release
 * stores. Readers use plain loads: an address reaches a reader either through a happens-before
 * path from its chunk's registration (the central stack's lock, or the user's own hand-off), or
 * it is foreign, in which case a stale or null answer is refused by the caller's scope and owner
 * checks. A {@link Chunk}'s identity fields are final, so a racy read never sees them half-made.
 */
final class ChunkMap {

    private static final int GRANULE_SHIFT = Long.numberOfTrailingZeros(ChunkSource.CHUNK_ALIGNMENT);
    private static final int REGION_SHIFT = 32;
    private static final int GRANULES_PER_REGION = 1 << (REGION_SHIFT - GRANULE_SHIFT);
    private static final int REGIONS = 1 << (48 - REGION_SHIFT);

    private static final Chunk[][] ROOT = new Chunk[REGIONS][];
    private static final VarHandle ROOT_SLOT = MethodHandles.arrayElementVarHandle(Chunk[][].class);
    private static final VarHandle GRANULE_SLOT = MethodHandles.arrayElementVarHandle(Chunk[].class);

    private ChunkMap() {
    }

    /**
     * The chunk that holds {@code address}, or null when no live chunk does. Acquire loads: a
     * caller that finds a chunk gone also sees what its remover did before (close() sets the
     * allocator's closed flag before it unregisters, so a null here after close reads as closed).
     */
    static Chunk lookup(long address) {
        long region = address >>> REGION_SHIFT;
        if (region >= REGIONS) {
            return null;
        }
        Chunk[] granules = (Chunk[]) ROOT_SLOT.getAcquire(ROOT, (int) region);
        if (granules == null) {
            return null;
        }
        return (Chunk) GRANULE_SLOT.getAcquire(granules, (int) (address >>> GRANULE_SHIFT) & (GRANULES_PER_REGION - 1));
    }

    static synchronized void register(Chunk chunk) {
        set(chunk.base, chunk.length, null, chunk);
    }

    /**
     * Clears the granules that still name {@code chunk}. A chunk is unregistered after it is
     * unmapped, and by then the OS may have handed its addresses to a new mapping that another
     * thread registered: those granules name the new chunk and stay.
     */
    static synchronized void unregister(Chunk chunk) {
        set(chunk.base, chunk.length, chunk, null);
    }

    /** Sets each granule of the range to {@code value}; with {@code only} set, just those that hold it. */
    private static void set(long base, long length, Chunk only, Chunk value) {
        for (long address = base; address < base + length; address += ChunkSource.CHUNK_ALIGNMENT) {
            long region = address >>> REGION_SHIFT;
            if (region >= REGIONS) {
                throw new IllegalStateException("address 0x" + Long.toHexString(address) + " is above the 48-bit map");
            }
            Chunk[] granules = ROOT[(int) region];
            if (granules == null) {
                granules = new Chunk[GRANULES_PER_REGION];
                ROOT_SLOT.setRelease(ROOT, (int) region, granules);
            }
            int slot = (int) (address >>> GRANULE_SHIFT) & (GRANULES_PER_REGION - 1);
            if (only == null || granules[slot] == only) {
                GRANULE_SLOT.setRelease(granules, slot, value);
            }
        }
    }
}
