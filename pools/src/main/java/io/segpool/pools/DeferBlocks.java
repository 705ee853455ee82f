package io.segpool.pools;

import io.segpool.allocator.NativeAllocator;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The layout of a defer block and its size classes. A block is a 40-byte header
 * followed by the argument bytes rounded up to 8:
 *
 * <pre>
 *   0  (zero)    reserved: a scope keeps its chain in an array, not linked through here
 *   8  handler   int: the handler's id
 *  12  argSize   int: argument bytes
 *  16  (zero)    reserved
 *  24  (zero)    reserved
 *  32  check     a check word over the block's address, its scope's serial, its index in the
 *                chain, handler and argSize
 *  40  arguments
 * </pre>
 *
 * A defer writes the handler, argSize and check words and the arguments; running it reads back
 * handler, argSize and the check word, which the scope recomputes from those two and what it knows
 * itself (the block's address, its serial, the block's index). So a block whose handler or size
 * was overwritten, or a block that is not the one the scope wrote there, fails the check with
 * {@link IllegalStateException} ("bad defer block") before its action runs. The reserved words
 * keep the header at 40 bytes, which the class mapping below is built on; nothing writes them,
 * and every block is zeroed whole before it goes back to the allocator, so they stay zero.
 *
 * Argument sizes up to {@link #MAX_POOLED_ARGS} fall into {@link #CLASSES} defer classes,
 * {@code (argSize + 7) >> 4}: 8, 24, 40, 56 and 72 bytes. With a 40-byte header every size of a
 * class lands in the same allocator size class (48, 64, 80, 96, 112 bytes), so a block freed by
 * one defer is a perfect fit for the next of its class. {@link #checkClassMapping(long)} proves it
 * when this class loads and fails loudly if a change to the header or the size classes breaks it.
 */
final class DeferBlocks {

    static final long HANDLER = 8;
    static final long ARG_SIZE = 12;
    static final long CHECK = 32;
    static final long HEADER = 40;

    static final int CLASSES = 5;
    static final int MAX_POOLED_ARGS = 72;
    /** The largest argument a defer copies. */
    static final long MAX_ARGS = 64 * 1024;

    /** Bytes of a block of each defer class: the allocator class every argument size of it maps to. */
    static final long[] CLASS_BLOCK_SIZE = checkClassMapping(HEADER);

    /** Zeros that {@link #clearTail} copies: longer than the tail of every pooled class. */
    private static final MemorySegment ZEROS = java.lang.foreign.Arena.global().allocate(128, Long.BYTES);
    private static final long CHECK_SALT = 0x5E6D_EFE7_B10C_C0DEL;
    private static final boolean LITTLE_ENDIAN = java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN;

    private DeferBlocks() {
    }

    static int deferClass(long argSize) {
        return (int) ((argSize + 7) >> 4);
    }

    static long totalSize(long header, long argSize) {
        return header + ((argSize + 7) & -8L);
    }

    /** Bytes to allocate for a defer with {@code argSize} argument bytes. */
    static long blockSize(long argSize) {
        return argSize <= MAX_POOLED_ARGS ? CLASS_BLOCK_SIZE[deferClass(argSize)] : totalSize(HEADER, argSize);
    }

    /**
     * The byte size of {@code arguments} if a defer can copy them; else the refusal, thrown before
     * the scope takes a block (the copy would throw the same, but only after the block left the
     * allocator): more than {@link #MAX_ARGS} bytes, a closed arena's segment, another thread's
     * confined segment.
     */
    static long checkArguments(MemorySegment arguments) {
        long size = arguments.byteSize();
        if (size > MAX_ARGS) {
            throw new IllegalArgumentException("defer arguments of " + size + " bytes exceed the " + MAX_ARGS
                    + "-byte limit; a defer copies its arguments");
        }
        if (!arguments.scope().isAlive()) {
            throw new IllegalStateException("defer arguments " + arguments + " cannot be copied: their arena is"
                    + " closed");
        }
        if (!arguments.isAccessibleBy(Thread.currentThread())) {
            throw new WrongThreadException("defer arguments " + arguments + " cannot be copied: they are confined"
                    + " to another thread's arena");
        }
        return size;
    }

    /** The two ints at {@link #HANDLER} and {@link #ARG_SIZE} as the one native-order long they make. */
    static long handlerWord(int handlerId, int argSize) {
        long first = handlerId & 0xFFFF_FFFFL;
        long second = argSize & 0xFFFF_FFFFL;
        return LITTLE_ENDIAN ? second << 32 | first : first << 32 | second;
    }

    static int handlerOf(long handlerWord) {
        return (int) (LITTLE_ENDIAN ? handlerWord : handlerWord >>> 32);
    }

    static int argSizeOf(long handlerWord) {
        return (int) (LITTLE_ENDIAN ? handlerWord >>> 32 : handlerWord);
    }

    /**
     * Writes the handler and check words of the block that becomes entry {@code index} of scope
     * {@code scope}; the argument bytes are the caller's.
     */
    static void writeHeader(MemorySegment block, int handlerId, int argSize, long scope, int index) {
        long handlerWord = handlerWord(handlerId, argSize);
        block.set(ValueLayout.JAVA_LONG_UNALIGNED, HANDLER, handlerWord);
        block.set(ValueLayout.JAVA_LONG_UNALIGNED, CHECK, checkWord(block.address(), scope, index, handlerWord));
    }

    /**
     * {@return the handler word of the block at entry {@code index} of scope {@code scope}, once its
     * check word matches}
     *
     * @throws IllegalStateException if it does not: something wrote over the block (a stale
     *         segment, a bad address). A refusal like every other of the pools, not a VM error:
     *         the JVM is sound, the block is not.
     */
    static long readHeader(MemorySegment block, long scope, int index) {
        long handlerWord = block.get(ValueLayout.JAVA_LONG_UNALIGNED, HANDLER);
        if (block.get(ValueLayout.JAVA_LONG_UNALIGNED, CHECK) != checkWord(block.address(), scope, index, handlerWord)) {
            throw badBlock(block.address(), scope, index); // built out of line: the run path stays small
        }
        return handlerWord;
    }

    private static IllegalStateException badBlock(long address, long scope, int index) {
        return new IllegalStateException("bad defer block at 0x" + Long.toHexString(address) + " in scope " + scope
                + ": its header does not match entry " + index + " (its memory was written by someone else); its"
                + " action and the older ones are not run");
    }

    /** Zeroes the block past the first {@code written} argument bytes: a spare still holds its last defer's. */
    static void clearTail(MemorySegment block, long written) {
        // Copies from a segment of zeros rather than filling a slice: a slice is a heap object, which
        // escape analysis removes only where this is inlined into a compiled caller.
        for (long from = HEADER + written, end = block.byteSize(); from < end; from += ZEROS.byteSize()) {
            MemorySegment.copy(ZEROS, 0, block, from, Math.min(ZEROS.byteSize(), end - from));
        }
    }

    /** The check word of the block at {@code address}, entry {@code index} of scope {@code scope}. */
    static long checkWord(long address, long scope, long index, long handlerWord) {
        return ((address ^ CHECK_SALT) * 31 + scope * 17 + index) ^ handlerWord * 0x9E37_79B9_7F4A_7C15L;
    }

    /**
     * Every argument size of a defer class must map to one allocator size class (the Go runtime's
     * {@code testdefersizes} check, run when this class loads). Returns each class's block size; throws {@link IllegalStateException}
     * naming the first argument size that breaks the rule.
     */
    static long[] checkClassMapping(long header) {
        long[] sizes = new long[CLASSES];
        for (int argSize = 0; deferClass(argSize) < CLASSES; argSize++) {
            int deferClass = deferClass(argSize);
            long total = totalSize(header, argSize);
            if (total > NativeAllocator.MAX_CLASS_SIZE) {
                throw new IllegalStateException("bad defer size class: arg size " + argSize + " needs a block of "
                        + total + " bytes, beyond every allocator size class");
            }
            long block = NativeAllocator.blockSize(total);
            if (sizes[deferClass] == 0) {
                sizes[deferClass] = block;
            } else if (sizes[deferClass] != block) {
                throw new IllegalStateException("bad defer size class: with a " + header + "-byte header, arg size "
                        + argSize + " (defer class " + deferClass + ") needs " + total
                        + " bytes, allocator class " + block
                        + " B, but smaller args of the same defer class map to allocator class "
                        + sizes[deferClass] + " B");
            }
        }
        return sizes;
    }
}
