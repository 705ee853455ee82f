package io.segpool.pools;

import io.segpool.allocator.AllocatorConfig;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Debug mode's trap for a closed {@link Frame}'s memory, one per {@link SegmentedStack} of a pool
 * in debug mode ({@link AllocatorConfig#debug()}). Closing a frame invalidates none of its
 * segments (they are slices of the allocator's heap, alive until the pool closes), so a segment
 * kept past its frame reads and writes whatever the next frame puts there. Here a frame's close
 * fills the bytes it used with {@link AllocatorConfig#POISON}, the word the allocator writes over
 * freed blocks, so that a stale read sees {@code 0xDEADBEEF}; the next bump over them checks they
 * are poison still, so that a stale write is caught there, before the new frame's data can be
 * mistaken for it. The pattern is laid in phase with addresses: an aligned {@code long} reads
 * exactly {@code POISON}. Owned by the stack's thread; plain fields.
 */
final class FramePoison {

    /** A run of poison words, plus one word so that a fill or check can start at any phase. */
    private static final long RUN = 4096;
    private static final MemorySegment PATTERN = pattern();

    /** The bytes of the current segment from the stack's top up to this address hold poison. */
    private long poisonedTo;

    private static MemorySegment pattern() {
        MemorySegment run = Arena.global().allocate(RUN + Long.BYTES, Long.BYTES);
        for (long offset = 0; offset < run.byteSize(); offset += Long.BYTES) {
            run.set(ValueLayout.JAVA_LONG, offset, AllocatorConfig.POISON);
        }
        return run;
    }

    /** The stack entered a segment it knows nothing poisoned in: fresh from the allocator (which checks its own poison), or none. */
    void forget(long segment) {
        poisonedTo = segment;
    }

    /**
     * Checks the bytes from {@code top} to {@code newTop} of the current segment ({@code view} at
     * {@code base}), about to be handed out, wherever a closed frame poisoned them. A byte that is
     * not poison was written after its frame closed: the range is poisoned again, so that the
     * stack stays usable, and the write is reported.
     *
     * @throws IllegalStateException if a poisoned byte was written
     */
    void checkBump(MemorySegment view, long base, long top, long newTop) {
        long to = Math.min(newTop, poisonedTo);
        if (top < to) {
            long written = firstWritten(view, top - base, to - base);
            if (written >= 0) {
                fill(view, top - base, to - base);
                throw writtenAfterClose(view, written);
            }
        }
    }

    /**
     * A frame closed: poisons the bytes from {@code from} to {@code to} of the segment left current
     * ({@code view} at {@code base}). With {@code sameSegment} the frame stayed in it, and what lay
     * past {@code to} is poison still; else the frame went on into newer segments, and this one is
     * poisoned to its end (the caller passes its end as {@code to}).
     */
    void frameClosed(MemorySegment view, long base, long from, long to, boolean sameSegment) {
        try {
            fill(view, from - base, to - base);
            poisonedTo = sameSegment ? Math.max(poisonedTo, to) : to;
        } catch (IllegalStateException closing) {
            // The pool closed meanwhile: its memory is gone, and there is nothing to poison.
        }
    }

    private static void fill(MemorySegment view, long from, long to) {
        for (long at = from; at < to; at += RUN) {
            MemorySegment.copy(PATTERN, phase(view, at), view, at, Math.min(RUN, to - at));
        }
    }

    /** {@return the offset in {@code view} of the first byte from {@code from} to {@code to} that is not poison, or -1} */
    private static long firstWritten(MemorySegment view, long from, long to) {
        for (long at = from; at < to; at += RUN) {
            long length = Math.min(RUN, to - at);
            long phase = phase(view, at);
            long mismatch = MemorySegment.mismatch(PATTERN, phase, phase + length, view, at, at + length);
            if (mismatch >= 0) {
                return at + mismatch;
            }
        }
        return -1;
    }

    private static IllegalStateException writtenAfterClose(MemorySegment view, long offset) {
        return new IllegalStateException("debug mode: the stack byte at 0x" + Long.toHexString(view.address() + offset)
                + " (offset " + offset + " of its " + view.byteSize() + "-byte segment) was written after the frame"
                + " that held it closed: a segment or address of a closed Frame was kept and used (closing a frame"
                + " does not invalidate its segments). The bytes are poisoned again: the allocation may be retried");
    }

    private static long phase(MemorySegment view, long offset) {
        return (view.address() + offset) & (Long.BYTES - 1);
    }
}
