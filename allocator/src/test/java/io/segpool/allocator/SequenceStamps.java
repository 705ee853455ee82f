package io.segpool.allocator;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * The stamps of {@link AllocatorModelTest}: every byte of a live block holds a byte of one fixed
 * random pattern, read from an offset derived from the block's serial. Two blocks (almost) never
 * start at the same pattern offset, so a second owner's write, a shifted overlap, the debug poison
 * or a page given back to the OS (zeros) changes bytes that the check compares, down to blocks of
 * one byte. Copy and compare are bulk segment operations, so stamping every byte of every block
 * costs about a memcpy.
 */
final class SequenceStamps {

    /** Room for the largest block the model allocates (about 3 MiB) at any of 4 Mi offsets. */
    private static final long PATTERN_BYTES = 8L << 20;
    private static final MemorySegment PATTERN = pattern();

    private SequenceStamps() {
    }

    private static MemorySegment pattern() {
        MemorySegment pattern = Arena.global().allocate(PATTERN_BYTES, 16);
        SplittableRandom random = new SplittableRandom(0x5E6_57A3FL);
        for (long i = 0; i < PATTERN_BYTES; i += 8) {
            pattern.set(ValueLayout.JAVA_LONG, i, random.nextLong());
        }
        return pattern;
    }

    /** The pattern offset of block {@code serial} of {@code size} bytes: any byte offset, not only aligned ones. */
    static long offsetFor(long serial, long size) {
        if (size > PATTERN_BYTES / 2) {
            throw new IllegalArgumentException("a " + size + "-byte block is larger than the stamps allow");
        }
        long mixed = (serial + 1) * 0x9E37_79B9_7F4A_7C15L;
        mixed ^= mixed >>> 29;
        return Math.floorMod(mixed, PATTERN_BYTES - size);
    }

    /** Writes the stamp into {@code view}, which starts {@code from} bytes into the block. */
    static void write(MemorySegment view, long patternOffset, long from) {
        MemorySegment.copy(PATTERN, patternOffset + from, view, 0, view.byteSize());
    }

    /**
     * The first byte of {@code view} (which starts {@code from} bytes into the block) that differs
     * from the block's stamp, or -1 when every byte is intact.
     */
    static long firstChanged(MemorySegment view, long patternOffset, long from) {
        return view.mismatch(PATTERN.asSlice(patternOffset + from, view.byteSize()));
    }
}
