package io.segpool.allocator;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The state of every class block, kept in two flat tables at the end of the {@link Heap}'s
 * reservation, found from a block's heap offset by a shift: no map, no chunk object, one load.
 * It is what lets a free refuse a wrong call before it changes anything.
 *
 * <p>A block that is free (in a ring, a central stack, or not carved yet) has state 0. A block
 * handed out has a nonzero code that names its class and the exact size it was handed out with:
 * <ul>
 *   <li>classes of 64 bytes and up: an int per 64 bytes of heap at {@code intTable + (offset >>> 6) * 4},
 *   {@code (class << 24) | (position << 22) | (size + 1)}, where {@code position} is
 *   {@code (offset >>> 4) & 3}, the block start's 16-byte step inside its 64 bytes. Blocks of these
 *   classes are at least 64 bytes long, so no two of them start in the same 64 bytes, and the
 *   position pins the one start there: an interior address in the same 64 bytes (a block start
 *   plus 16, 32 or 48), or one 64 bytes on that lands in a neighbour's window (an 80 B block's
 *   start plus 64 is in the window of the block at plus 80), names another position and fails
 *   the compare;
 *   <li>the 16, 32 and 48 B classes: a byte per 16 bytes at {@code byteTable + (offset >>> 4)},
 *   {@code size + 1} (1 to 49). These classes serve only requests of 16-byte alignment or less,
 *   so the size names the class.
 * </ul>
 * A free computes the code it expects from the address and size it is given and compares: one
 * compare refuses a double free (0), a free of an interior or misaligned address (0, another
 * position, or another table), a wrong size (another code), and a block of a chunk that was
 * released (0). So a state entry that matches proves that the address is exactly the start of a
 * block handed out with that size: no interior address ever passes for a block start. The two tables never
 * describe the same chunk, so a small-class check can never read a large-class code.
 *
 * <p>The tables cost 1/16 of the heap bytes that hold blocks (6.25%), committed with the chunks
 * they describe and touched only where blocks are handed out. Written by the thread that
 * allocates or frees the block; the block's own hand-off between threads orders the writes.
 */
final class BlockState {

    /** Where a big code keeps the block start's 16-byte step inside its 64 bytes. */
    private static final int POSITION_SHIFT = 18;
    /** The bits of a big code that hold the size + 1 (sizes up to 1 MiB need 21 of them). */
    private static final int SIZE_MASK = 0x3F_FFFF;
    /** The bits of a big code that hold the position. */
    private static final int POSITION_MASK = 0x30 << POSITION_SHIFT;

    /** Classes below this index (16, 32, 48 B) use the byte table. */
    static final int SMALL_CLASSES = 3;
    /** The largest request a small class serves. */
    static final long SMALL_MAX = 48;

    private BlockState() {
    }

    /** Marks the free block at {@code offset} handed out with {@code size} bytes. */
    static void handOut(MemorySegment all, long intTable, long byteTable, int sizeClass, long offset, long size) {
        if (sizeClass < SMALL_CLASSES) {
            all.set(ValueLayout.JAVA_BYTE, byteTable + smallSlot(offset), (byte) (size + 1));
        } else {
            all.set(ValueLayout.JAVA_INT_UNALIGNED, intTable + bigSlot(offset), bigCode(sizeClass, offset, size));
        }
    }

    /** True when the block at {@code offset} (a block start of {@code sizeClass}) is free; debug mode's check. */
    static boolean isFree(Heap heap, int sizeClass, long offset) {
        return handedOutSize(heap, sizeClass, offset) < 0;
    }

    /**
     * Marks the block at {@code offset} free if its state says it was handed out in
     * {@code sizeClass} with exactly {@code size} bytes; false, with nothing written, if not.
     */
    static boolean free(MemorySegment all, long intTable, long byteTable, int sizeClass, long offset, long size) {
        if (sizeClass < SMALL_CLASSES) {
            long slot = byteTable + smallSlot(offset);
            if (all.get(ValueLayout.JAVA_BYTE, slot) != (byte) (size + 1)) {
                return false;
            }
            all.set(ValueLayout.JAVA_BYTE, slot, (byte) 0);
        } else {
            long slot = intTable + bigSlot(offset);
            if (all.get(ValueLayout.JAVA_INT_UNALIGNED, slot) != bigCode(sizeClass, offset, size)) {
                return false;
            }
            all.set(ValueLayout.JAVA_INT_UNALIGNED, slot, 0);
        }
        return true;
    }

    /**
     * The size the block of {@code sizeClass} at {@code offset} was handed out with, or -1 when it
     * is free; for the slow path's diagnosis. {@code offset} must be a block start.
     */
    static long handedOutSize(Heap heap, int sizeClass, long offset) {
        if (sizeClass < SMALL_CLASSES) {
            return (heap.all.get(ValueLayout.JAVA_BYTE, heap.byteTable + smallSlot(offset)) & 0xFF) - 1L;
        }
        int code = heap.all.get(ValueLayout.JAVA_INT_UNALIGNED, heap.intTable + bigSlot(offset));
        if (code != 0 && !startsAt(code, offset)) {
            return -1; // the entry is another block's, which starts elsewhere in these 64 bytes
        }
        if (code != 0 && classOf(code) != sizeClass) {
            throw new IllegalStateException("bad block state: 0x" + Integer.toHexString(code) + " at heap offset "
                    + offset + " names class " + classOf(code) + " in a chunk of class " + sizeClass);
        }
        return code == 0 ? -1 : sizeOf(code);
    }

    /**
     * The code of a block of the 64 B class or larger that starts at heap offset {@code offset}
     * (16-byte aligned) and is handed out with {@code size} bytes.
     */
    static int bigCode(int sizeClass, long offset, long size) {
        return (sizeClass << 24) | (((int) offset & 0x30) << POSITION_SHIFT) | (int) (size + 1);
    }

    /**
     * True when big code {@code code}, read from the slot of heap offset {@code offset}, was
     * written for a block that starts exactly at {@code offset} (not at another 16-byte step of
     * the same 64 bytes).
     */
    static boolean startsAt(int code, long offset) {
        return (code & POSITION_MASK) == (((int) offset & 0x30) << POSITION_SHIFT);
    }

    /** Offset of a big-class block's int in the reservation, from the table start. */
    static long bigSlot(long offset) {
        return (offset >>> 6) << 2;
    }

    /** Offset of a small-class block's byte, from the table start. */
    static long smallSlot(long offset) {
        return offset >>> 4;
    }

    /** The size a big code was handed out with. */
    static long sizeOf(int code) {
        return (code & SIZE_MASK) - 1L;
    }

    /** The class a big code names. */
    static int classOf(int code) {
        return code >>> 24;
    }
}
