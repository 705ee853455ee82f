package io.segpool.pools;

import io.segpool.allocator.NativeAllocator;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A LIFO of deferred actions kept in native defer blocks: the Java form of a goroutine's defer
 * chain. {@link #defer(int, long)} copies a handler id and the argument bytes
 * into a block from the scope's {@link DeferPool}; {@link #runDeferred()} and {@link #close()} run
 * the actions last-in first-out and free their blocks, also when an action throws: the first
 * throwable propagates once all have run, later ones are added to it as suppressed, as
 * try-with-resources does.
 *
 * <pre>{@code
 * int unlock = pool.register(args -> lock.unlock());
 * try (DeferScope scope = pool.newScope()) {
 *     lock.lock();
 *     scope.defer(unlock);
 *     ...
 * }
 * }</pre>
 *
 * <p>Deferring and running make no garbage, and a steady defer-then-run loop touches no
 * allocator: the scope keeps a spare block per pooled class and writes into it only what its next
 * defer needs (the arguments, zeroes past them, the header's handler and check words); running it
 * reads back the handler and check words and the first argument word. A scope is reusable with
 * {@link #runDeferred()}; after {@link #close()} it refuses every call.
 *
 * <p>A scope belongs to one thread at a time; any other thread gets {@link WrongThreadException},
 * as a confined {@link java.lang.foreign.Arena}'s segment throws. {@link #moveTo(Thread)} hands it to another, for
 * work that starts on one thread and finishes on another; the hand-off itself (a queue, a
 * Disruptor) must order the two threads' accesses, as it would for any object.
 */
public final class DeferScope implements AutoCloseable {

    private final DeferPool pool;
    private final long serial;
    private final DeferArgs args;
    private final BlockSource source;

    /** The thread allowed to use this scope; plain, handed over with the scope. */
    private Thread owner;
    private int pending;
    /**
     * Views of the pending blocks, oldest first: running one needs no map lookup. An entry at or
     * above {@code pending} may still name its class's spare, so that the next defer into the slot
     * finds it there and stores nothing (a reference store pays a GC barrier).
     */
    private MemorySegment[] blocks = new MemorySegment[8];
    /** Per pooled defer class, the spare, or null; a spare stays here while a defer holds it. */
    private final MemorySegment[] spares = new MemorySegment[DeferBlocks.CLASSES];
    /** Bit c set: {@code spares[c]} is free, not holding a pending defer. */
    private int freeSpares;
    private boolean closed;

    DeferScope(DeferPool pool, NativeAllocator allocator, long serial) {
        this.pool = pool;
        this.serial = serial;
        this.args = new DeferArgs(allocator);
        this.owner = Thread.currentThread();
        this.source = new BlockSource(allocator, owner);
    }

    /**
     * Defers handler {@code handlerId} with no argument.
     *
     * @param handlerId an id from {@link DeferPool#register(DeferHandler)}
     * @throws IllegalArgumentException if no handler of the pool has that id
     * @throws IllegalStateException if the scope is closed
     * @throws WrongThreadException if the calling thread is not the scope's owner
     */
    public void defer(int handlerId) {
        deferWord(handlerId, 0, 0);
    }

    /**
     * Defers handler {@code handlerId} with one 8-byte argument, read back by {@link DeferArgs#word()}.
     *
     * @param handlerId an id from {@link DeferPool#register(DeferHandler)}
     * @param argument the argument the handler reads back
     * @throws IllegalArgumentException if no handler of the pool has that id
     * @throws IllegalStateException if the scope is closed
     * @throws WrongThreadException if the calling thread is not the scope's owner
     */
    public void defer(int handlerId, long argument) {
        deferWord(handlerId, Long.BYTES, argument);
    }

    /**
     * Defers handler {@code handlerId} with a copy of {@code arguments} (up to 64 KiB).
     *
     * @param handlerId an id from {@link DeferPool#register(DeferHandler)}
     * @param arguments the bytes to copy; the handler reads them back through {@link DeferArgs}
     * @throws IllegalArgumentException if no handler of the pool has that id, or the arguments
     *         are longer than 64 KiB
     * @throws IllegalStateException if the scope is closed
     * @throws WrongThreadException if the calling thread is not the scope's owner
     */
    public void defer(int handlerId, MemorySegment arguments) {
        checkDefer(handlerId);
        long size = arguments.byteSize();
        if (size > DeferBlocks.MAX_ARGS) {
            throw new IllegalArgumentException("defer arguments of " + size + " bytes exceed the "
                    + DeferBlocks.MAX_ARGS + "-byte limit; a defer copies its arguments");
        }
        MemorySegment block = takeBlock(size);
        clearTail(block, size);
        MemorySegment.copy(arguments, 0, block, DeferBlocks.HEADER, size);
        link(block, handlerId, (int) size);
    }

    /**
     * The two one-word defers: the word at {@code HEADER} is the argument (0 with none), which
     * also covers every byte of a class-0 block past its header.
     */
    private void deferWord(int handlerId, int argSize, long word) {
        checkDefer(handlerId);
        MemorySegment block = takeBlock(argSize);
        block.set(ValueLayout.JAVA_LONG_UNALIGNED, DeferBlocks.HEADER, word);
        clearTail(block, Long.BYTES);
        link(block, handlerId, argSize);
    }

    /**
     * {@return the number of defers pending in this scope}
     *
     * @throws IllegalStateException if the scope is closed
     * @throws WrongThreadException if the calling thread is not the scope's owner
     */
    public int pending() {
        checkUsable();
        return pending;
    }

    /**
     * Runs every pending defer, newest first, and frees its block; the scope stays open for more.
     * An action may defer again: that defer runs in this same call.
     *
     * @throws IllegalStateException if the scope is closed
     * @throws WrongThreadException if the calling thread is not the scope's owner
     */
    public void runDeferred() {
        checkUsable();
        runPending();
    }

    /**
     * Runs every pending defer as {@link #runDeferred()} does, then closes the scope. Idempotent.
     *
     * @throws WrongThreadException if the calling thread is not the scope's owner
     */
    @Override
    public void close() {
        checkThread();
        if (closed) {
            return;
        }
        try {
            runPending();
        } finally {
            closed = true;
            freeSpares();
        }
    }

    /**
     * Hands this scope to {@code newOwner}, with its pending defers; from now on only that thread
     * may use it. Blocks are freed to the cache of the thread that runs them; the scope's spare
     * blocks go back to this thread's cache first.
     *
     * @param newOwner the thread that uses the scope from now on
     * @throws NullPointerException if {@code newOwner} is null
     * @throws IllegalStateException if the scope is closed
     * @throws WrongThreadException if the calling thread is not the scope's owner
     */
    public void moveTo(Thread newOwner) {
        checkUsable();
        java.util.Objects.requireNonNull(newOwner, "newOwner");
        freeSpares(); // spares belong to this thread's cache: seed 001's cross-thread flow goes through the rings
        source.moveTo(newOwner);
        owner = newOwner;
    }

    // ---- running ------------------------------------------------------------------------------

    private void runPending() {
        while (pending > 0) {
            Throwable thrown = runNewest();
            if (thrown != null) {
                runAfterThrow(thrown);
            }
        }
    }

    /**
     * Runs the newest pending defer and frees its block; returns what its action threw, or null.
     * A block that fails its check word throws {@link InternalError} before anything changes.
     */
    private Throwable runNewest() {
        int index = pending - 1;
        MemorySegment block = blocks[index];
        long address = block.address();
        long handlerWord = block.get(ValueLayout.JAVA_LONG_UNALIGNED, DeferBlocks.HANDLER);
        if (block.get(ValueLayout.JAVA_LONG_UNALIGNED, DeferBlocks.CHECK)
                != DeferBlocks.checkWord(address, serial, index, handlerWord)) {
            throw badBlock(address, index);
        }
        int argSize = DeferBlocks.argSizeOf(handlerWord);
        pending = index;
        args.bind(address + DeferBlocks.HEADER, argSize,
                argSize >= Long.BYTES ? block.get(ValueLayout.JAVA_LONG_UNALIGNED, DeferBlocks.HEADER) : 0);
        Throwable thrown = null;
        try {
            pool.handler(DeferBlocks.handlerOf(handlerWord)).run(args);
        } catch (Throwable t) {
            thrown = t;
        }
        args.unbind();
        releaseBlock(block, index, argSize);
        return thrown;
    }

    /**
     * Runs the rest after an action threw {@code first}, adding what later ones throw to it as
     * suppressed, then throws it, as try-with-resources would.
     */
    private void runAfterThrow(Throwable first) {
        while (pending > 0) {
            Throwable thrown = runNewest();
            if (thrown != null && thrown != first) {
                first.addSuppressed(thrown);
            }
        }
        if (first instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (first instanceof Error error) {
            throw error;
        }
        throw new java.lang.reflect.UndeclaredThrowableException(first, "a deferred action threw " + first);
    }

    private InternalError badBlock(long address, int index) {
        return new InternalError("bad defer block at 0x" + Long.toHexString(address) + " in scope " + serial
                + ": header does not match entry " + index);
    }

    /** Address of the newest pending block, 0 when none; for tests in this package. */
    long head() {
        return pending > 0 ? blocks[pending - 1].address() : 0;
    }

    // ---- blocks -------------------------------------------------------------------------------

    /** A block for {@code argSize} argument bytes: the free spare of its class, or a new one. */
    private MemorySegment takeBlock(long argSize) {
        if (argSize <= DeferBlocks.MAX_POOLED_ARGS) {
            int deferClass = DeferBlocks.deferClass(argSize);
            if ((freeSpares & 1 << deferClass) != 0) {
                freeSpares &= ~(1 << deferClass);
                return spares[deferClass];
            }
        }
        return source.allocate(argSize);
    }

    /** Zeroes the block past the first {@code written} argument bytes: a spare still holds its last defer's. */
    private static void clearTail(MemorySegment block, long written) {
        long from = DeferBlocks.HEADER + written;
        if (from < block.byteSize()) {
            block.asSlice(from).fill((byte) 0);
        }
    }

    /** Writes the header and makes the block the newest pending defer. */
    private void link(MemorySegment block, int handlerId, int argSize) {
        int index = pending;
        long handlerWord = DeferBlocks.handlerWord(handlerId, argSize);
        block.set(ValueLayout.JAVA_LONG_UNALIGNED, DeferBlocks.HANDLER, handlerWord);
        block.set(ValueLayout.JAVA_LONG_UNALIGNED, DeferBlocks.CHECK,
                DeferBlocks.checkWord(block.address(), serial, index, handlerWord));
        if (index == blocks.length) {
            blocks = java.util.Arrays.copyOf(blocks, index * 2);
        }
        if (blocks[index] != block) {
            blocks[index] = block;
        }
        pending = index + 1;
    }

    /** Keeps a run block as its class's spare if it is the spare or the class has none; else frees it. */
    private void releaseBlock(MemorySegment block, int index, int argSize) {
        if (argSize <= DeferBlocks.MAX_POOLED_ARGS) {
            int deferClass = DeferBlocks.deferClass(argSize);
            MemorySegment spare = spares[deferClass];
            if (spare == null) {
                spares[deferClass] = block;
            }
            if (spare == null || spare == block) {
                freeSpares |= 1 << deferClass;
                return;
            }
        }
        if (blocks[index] == block) { // an action that deferred again may have filled the slot
            blocks[index] = null;
        }
        source.free(block);
    }

    /** Gives the free spares back and forgets the ones holding pending defers: those go back when run. */
    private void freeSpares() {
        for (int c = 0; c < spares.length; c++) {
            MemorySegment spare = spares[c];
            if (spare != null) {
                spares[c] = null;
                if ((freeSpares & 1 << c) != 0) {
                    freeSpares &= ~(1 << c);
                    source.free(spare);
                }
            }
        }
    }

    // ---- ownership ----------------------------------------------------------------------------

    /** Refuses a defer from the wrong thread, on a closed scope, or of an unregistered handler, before anything changes. */
    private void checkDefer(int handlerId) {
        checkUsable();
        pool.handler(handlerId); // throws for an id that is not registered
    }

    private void checkUsable() {
        checkThread();
        if (closed) {
            throw new IllegalStateException("this DeferScope is closed");
        }
    }

    private void checkThread() {
        if (Thread.currentThread() != owner) {
            throw wrongThread();
        }
    }

    private WrongThreadException wrongThread() {
        return new WrongThreadException("a DeferScope belongs to " + owner + ", but " + Thread.currentThread()
                + " used it; hand it over with moveTo");
    }
}
