package io.segpool.pools;

import io.segpool.allocator.NativeAllocator;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The argument bytes of the defer being run, read in place from its block. One instance per
 * {@link DeferScope}, re-pointed at each block (a flyweight), so running a defer makes no garbage.
 * Valid only during {@link DeferHandler#run}, and only on the thread running it: afterwards, or
 * from another thread, every read throws (a read that raced the block's reuse would see another
 * owner's bytes).
 */
public final class DeferArgs {

    private final NativeAllocator allocator;
    /** The thread that runs the scope's defers: its owner. */
    private Thread reader;
    /**
     * Address of the first argument byte, 0 when not bound to a running defer; every read checks
     * it, so binding 0 makes all of them throw. Read by the scope to restore an outer binding.
     */
    long address;
    int size;
    /** The first 8 argument bytes, read with the header: the fast path of a one-word defer. */
    long word;
    /**
     * The reads' view: over the arguments of the block last read, made anew only when a defer's
     * arguments lie elsewhere or are longer. Blocks are reused (each scope keeps a spare per
     * class), so reading arguments makes no heap object in the steady state whether or not the
     * JIT inlines a read into its handler; a view made per read would be one per read where the
     * handler is not inlined into the run (a scope running several handlers).
     */
    private MemorySegment view;

    DeferArgs(NativeAllocator allocator, Thread reader) {
        this.allocator = allocator;
        this.reader = reader;
    }

    void bind(long address, int size, long word) {
        this.address = address;
        this.size = size;
        this.word = word;
    }

    /** The scope moved to {@code newReader}: only it may read from now on. */
    void moveTo(Thread newReader) {
        reader = newReader;
    }

    /**
     * {@return the number of argument bytes deferred}
     *
     * @throws IllegalStateException if no handler of this scope is running
     * @throws WrongThreadException if the calling thread is not the one running the handler
     */
    public int size() {
        checkBound();
        return size;
    }

    /**
     * {@return the 8-byte argument of {@link DeferScope#defer(int, long)}; 0 if fewer than 8 bytes were deferred}
     *
     * @throws IllegalStateException if no handler of this scope is running
     * @throws WrongThreadException if the calling thread is not the one running the handler
     */
    public long word() {
        checkBound();
        return word;
    }

    /**
     * {@return the 8 argument bytes at {@code offset}, in native byte order, as a {@code long}}
     *
     * @param offset the byte offset in the arguments, 0 to {@link #size()} - 8; need not be aligned
     * @throws IndexOutOfBoundsException if the 8 bytes are not all within the arguments
     * @throws IllegalStateException if no handler of this scope is running
     * @throws WrongThreadException if the calling thread is not the one running the handler
     */
    public long getLong(long offset) {
        check(offset, Long.BYTES);
        return view().get(ValueLayout.JAVA_LONG_UNALIGNED, offset);
    }

    /**
     * {@return the 4 argument bytes at {@code offset}, in native byte order, as an {@code int}}
     *
     * @param offset the byte offset in the arguments, 0 to {@link #size()} - 4; need not be aligned
     * @throws IndexOutOfBoundsException if the 4 bytes are not all within the arguments
     * @throws IllegalStateException if no handler of this scope is running
     * @throws WrongThreadException if the calling thread is not the one running the handler
     */
    public int getInt(long offset) {
        check(offset, Integer.BYTES);
        return view().get(ValueLayout.JAVA_INT_UNALIGNED, offset);
    }

    /**
     * {@return the argument byte at {@code offset}}
     *
     * @param offset the byte offset in the arguments, 0 to {@link #size()} - 1
     * @throws IndexOutOfBoundsException if {@code offset} is outside the arguments
     * @throws IllegalStateException if no handler of this scope is running
     * @throws WrongThreadException if the calling thread is not the one running the handler
     */
    public byte getByte(long offset) {
        check(offset, 1);
        return view().get(ValueLayout.JAVA_BYTE, offset);
    }

    /**
     * Copies all argument bytes to the start of {@code target}.
     *
     * @param target where the bytes go; it must be writable and at least {@link #size()} bytes long
     * @throws IndexOutOfBoundsException if {@code target} is shorter than the arguments
     * @throws IllegalStateException if no handler of this scope is running, or {@code target}'s
     *         arena is closed
     * @throws WrongThreadException if the calling thread is not the one running the handler, or
     *         {@code target} is confined to another thread
     * @throws IllegalArgumentException if {@code target} is read-only
     * @throws NullPointerException if {@code target} is null
     */
    public void copyTo(MemorySegment target) {
        checkBound();
        MemorySegment.copy(view(), 0, target, 0, size);
    }

    /** {@return a view over at least the bound arguments, the last one if it still covers them} */
    private MemorySegment view() {
        MemorySegment last = view;
        if (last != null && last.address() == address && last.byteSize() >= size) {
            return last;
        }
        // The whole room of the block past its header: the next defer of the class fits it too.
        MemorySegment made = allocator.segment(address, DeferBlocks.blockSize(size) - DeferBlocks.HEADER);
        view = made;
        return made;
    }

    private void check(long offset, int bytes) {
        checkBound();
        if (offset < 0 || offset > size - bytes) {
            throw new IndexOutOfBoundsException("offset " + offset + " with " + bytes + " bytes is outside the "
                    + size + " argument bytes");
        }
    }

    private void checkBound() {
        Owner.check(reader, "a DeferArgs", ": it is readable only by the thread running its handler");
        if (address == 0) {
            throw new IllegalStateException("DeferArgs are readable only while their handler runs");
        }
    }
}
