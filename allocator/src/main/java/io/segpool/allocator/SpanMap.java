package io.segpool.allocator;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The address map of every span segpool has mapped, in this JVM, for all allocators: from an
 * address to the span that holds it in two array loads (the Go runtime's arena index). A free
 * needs it to find a block's span from nothing but its address.
 *
 * <p>Spans start on {@link SizeClasses#CHUNK_ALIGNMENT} boundaries and are whole multiples of it,
 * so each 64 KiB granule of the address space belongs to at most one span. The map is a root of
 * 65,536 regions of 4 GiB, each an array of 65,536 granules, made when first needed.
 *
 * <p>Writers ({@link #register}, {@link #unregister}) hold the class lock and publish with release
 * stores. Readers use acquire loads (a plain load on x86, {@code ldar} on AArch64: one each for
 * the region and the granule), paired with those release stores, so a span registered
 * before is seen whole; besides, an address reaches a reader either through a happens-before
 * path from its span's registration (the central stack's lock, or the user's own hand-off), or
 * it is foreign, in which case a stale or null answer is refused by the caller's scope and owner
 * checks. A {@link Span}'s identity fields are final, so a racy read never sees them half-made.
 */
final class SpanMap {

    private static final int GRANULE_SHIFT = Long.numberOfTrailingZeros(SizeClasses.CHUNK_ALIGNMENT);
    private static final int REGION_SHIFT = 32;
    private static final int GRANULES_PER_REGION = 1 << (REGION_SHIFT - GRANULE_SHIFT);
    private static final int REGIONS = 1 << (48 - REGION_SHIFT);

    private static final Span[][] ROOT = new Span[REGIONS][];
    private static final VarHandle ROOT_SLOT = MethodHandles.arrayElementVarHandle(Span[][].class);
    private static final VarHandle GRANULE_SLOT = MethodHandles.arrayElementVarHandle(Span[].class);

    private SpanMap() {
    }

    /**
     * The span that holds {@code address}, or null when no live span does. Acquire loads: a
     * caller that finds a span gone also sees what its remover did before (close() sets the
     * allocator's closed flag before it unregisters, so a null here after close reads as closed).
     */
    static Span lookup(long address) {
        long region = address >>> REGION_SHIFT;
        if (region >= REGIONS) {
            return null;
        }
        Span[] granules = (Span[]) ROOT_SLOT.getAcquire(ROOT, (int) region);
        if (granules == null) {
            return null;
        }
        return (Span) GRANULE_SLOT.getAcquire(granules, (int) (address >>> GRANULE_SHIFT) & (GRANULES_PER_REGION - 1));
    }

    static synchronized void register(Span span) {
        set(span.base, span.length, null, span);
    }

    /**
     * Clears the granules that still name {@code span}. A span is unregistered after it is
     * unmapped, and by then the OS may have handed its addresses to a new mapping that another
     * thread registered: those granules name the new span and stay.
     */
    static synchronized void unregister(Span span) {
        set(span.base, span.length, span, null);
    }

    /** Sets each granule of the range to {@code value}; with {@code only} set, just those that hold it. */
    private static void set(long base, long length, Span only, Span value) {
        for (long address = base; address < base + length; address += SizeClasses.CHUNK_ALIGNMENT) {
            long region = address >>> REGION_SHIFT;
            if (region >= REGIONS) {
                throw new IllegalStateException("address 0x" + Long.toHexString(address) + " is above the 48-bit map");
            }
            Span[] granules = ROOT[(int) region];
            if (granules == null) {
                granules = new Span[GRANULES_PER_REGION];
                ROOT_SLOT.setRelease(ROOT, (int) region, granules);
            }
            int slot = (int) (address >>> GRANULE_SHIFT) & (GRANULES_PER_REGION - 1);
            if (only == null || granules[slot] == only) {
                GRANULE_SLOT.setRelease(granules, slot, value);
            }
        }
    }
}
