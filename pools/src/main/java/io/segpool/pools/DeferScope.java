package io.segpool.pools;

import io.segpool.allocator.NativeAllocator;
import io.segpool.allocator.ThreadCache;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A LIFO of deferred actions kept in native defer blocks: the Java form of a goroutine's defer
 * chain (seeds 000, 001, 004). {@link #defer(int, long)} copies a handler id and the argument bytes
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
 * <p>The blocks are linked through their headers, so a scope holds no heap structure per defer:
 * deferring and running make no garbage. A scope is reusable with {@link #runDeferred()}; after
 * {@link #close()} it refuses every call.
 *
 * <p>A scope belongs to one thread at a time. {@link #moveTo(Thread)} hands it to another, for
 * work that starts on one thread and finishes on another; the hand-off itself (a queue, a
 * Disruptor) must order the two threads' accesses, as it would for any object.
 */
public final class DeferScope implements AutoCloseable {

    private final DeferPool pool;
    private final NativeAllocator allocator;
    private final long serial;
    private final DeferArgs args;

    /** The thread allowed to use this scope; plain, handed over with the scope. */
    private Thread owner;
    /** The owner's cache; null for a virtual thread or before first use after a move. */
    private ThreadCache cache;
    /** Address of the newest pending block, 0 when none. */
    private long head;
    private int pending;
    /** Views of the pending blocks, oldest first: running one needs no map lookup. */
    private MemorySegment[] blocks = new MemorySegment[8];
    /**
     * One zeroed, freed block per pooled defer class, kept for this scope's next defer of the
     * class, so a steady defer-and-run loop does not touch the allocator at all. Counted in
     * {@code DeferInuse}; they go back to the allocator when the scope closes.
     */
    private final MemorySegment[] spares = new MemorySegment[DeferBlocks.CLASSES];
    private boolean closed;

    DeferScope(DeferPool pool, NativeAllocator allocator, long serial) {
        this.pool = pool;
        this.allocator = allocator;
        this.serial = serial;
        this.args = new DeferArgs(allocator);
        this.owner = Thread.currentThread();
    }

    /** Defers handler {@code handlerId} with no argument. */
    public void defer(int handlerId) {
        checkDefer(handlerId);
        link(takeBlock(0), handlerId, 0);
    }

    /** Defers handler {@code handlerId} with one 8-byte argument, read back by {@link DeferArgs#word()}. */
    public void defer(int handlerId, long argument) {
        checkDefer(handlerId);
        MemorySegment block = takeBlock(Long.BYTES);
        block.set(ValueLayout.JAVA_LONG, DeferBlocks.HEADER, argument);
        link(block, handlerId, Long.BYTES);
    }

    /** Defers handler {@code handlerId} with a copy of {@code arguments} (up to 64 KiB). */
    public void defer(int handlerId, MemorySegment arguments) {
        checkDefer(handlerId);
        long size = arguments.byteSize();
        if (size > DeferBlocks.MAX_ARGS) {
            throw new IllegalArgumentException("defer arguments of " + size + " bytes exceed the "
                    + DeferBlocks.MAX_ARGS + "-byte limit; a defer copies its arguments");
        }
        MemorySegment block = takeBlock(size);
        MemorySegment.copy(arguments, 0, block, DeferBlocks.HEADER, size);
        link(block, handlerId, (int) size);
    }

    /** Defers pending in this scope. */
    public int pending() {
        checkUsable();
        return pending;
    }

    /**
     * Runs every pending defer, newest first, and frees its block; the scope stays open for more.
     * An action may defer again: that defer runs in this same call.
     */
    public void runDeferred() {
        checkUsable();
        runAll();
    }

    /** Runs every pending defer as {@link #runDeferred()} does, then closes the scope. Idempotent. */
    @Override
    public void close() {
        checkThread();
        if (closed) {
            return;
        }
        try {
            runAll();
        } finally {
            closed = true;
            freeSpares();
        }
    }

    /**
     * Hands this scope to {@code newOwner}, with its pending defers; from now on only that thread
     * may use it. Blocks are freed to the cache of the thread that runs them; the scope's spare
     * blocks go back to this thread's cache first.
     */
    public void moveTo(Thread newOwner) {
        checkUsable();
        java.util.Objects.requireNonNull(newOwner, "newOwner");
        freeSpares(); // spares belong to this thread's cache: seed 001's cross-thread flow goes through the rings
        owner = newOwner;
        cache = null;
    }

    // ---- blocks -------------------------------------------------------------------------------

    /** A block for {@code argSize} argument bytes: this scope's spare of the class, or a new one. */
    private MemorySegment takeBlock(long argSize) {
        if (argSize <= DeferBlocks.MAX_POOLED_ARGS) {
            int deferClass = DeferBlocks.deferClass(argSize);
            MemorySegment spare = spares[deferClass];
            if (spare != null) {
                spares[deferClass] = null;
                return spare;
            }
        }
        long blockSize = DeferBlocks.blockSize(argSize);
        ThreadCache own = cache();
        return own != null ? own.allocate(blockSize) : allocator.allocate(blockSize);
    }

    /**
     * Zeroes a run block (seed 001: no bytes cross owners), then keeps it as its class's spare or
     * gives it back to this thread's cache.
     */
    private void releaseBlock(MemorySegment block, int argSize) {
        block.fill((byte) 0);
        if (argSize <= DeferBlocks.MAX_POOLED_ARGS) {
            int deferClass = DeferBlocks.deferClass(argSize);
            if (spares[deferClass] == null) {
                spares[deferClass] = block;
                return;
            }
        }
        freeBlock(block);
    }

    private void freeBlock(MemorySegment block) {
        ThreadCache own = cache();
        if (own != null) {
            own.freeAddress(block.address(), block.byteSize());
        } else {
            allocator.freeAddress(block.address(), block.byteSize());
        }
    }

    /** Gives the spares back to the allocator. */
    private void freeSpares() {
        for (int c = 0; c < spares.length; c++) {
            if (spares[c] != null) {
                MemorySegment spare = spares[c];
                spares[c] = null;
                freeBlock(spare);
            }
        }
    }

    /** Writes the header and makes the block the newest pending defer. */
    private void link(MemorySegment block, int handlerId, int argSize) {
        long address = block.address();
        block.set(ValueLayout.JAVA_LONG, DeferBlocks.NEXT, head);
        block.set(ValueLayout.JAVA_INT, DeferBlocks.HANDLER, handlerId);
        block.set(ValueLayout.JAVA_INT, DeferBlocks.ARG_SIZE, argSize);
        block.set(ValueLayout.JAVA_LONG, DeferBlocks.SCOPE, serial);
        block.set(ValueLayout.JAVA_LONG, DeferBlocks.INDEX, pending);
        block.set(ValueLayout.JAVA_LONG, DeferBlocks.CHECK, DeferBlocks.checkWord(address, serial, pending));
        if (pending == blocks.length) {
            blocks = java.util.Arrays.copyOf(blocks, pending * 2);
        }
        blocks[pending] = block;
        head = address;
        pending++;
    }

    private void runAll() {
        Throwable first = null;
        while (pending > 0) {
            long index = pending - 1;
            MemorySegment block = blocks[(int) index];
            long address = block.address();
            int handlerId = block.get(ValueLayout.JAVA_INT, DeferBlocks.HANDLER);
            int argSize = block.get(ValueLayout.JAVA_INT, DeferBlocks.ARG_SIZE);
            if (address != head
                    || block.get(ValueLayout.JAVA_LONG, DeferBlocks.SCOPE) != serial
                    || block.get(ValueLayout.JAVA_LONG, DeferBlocks.INDEX) != index
                    || block.get(ValueLayout.JAVA_LONG, DeferBlocks.CHECK) != DeferBlocks.checkWord(address, serial, index)) {
                throw new InternalError("bad defer block at 0x" + Long.toHexString(address) + " in scope " + serial
                        + ": header does not match entry " + index);
            }
            head = block.get(ValueLayout.JAVA_LONG, DeferBlocks.NEXT);
            blocks[(int) index] = null;
            pending--;
            long word = argSize >= Long.BYTES ? block.get(ValueLayout.JAVA_LONG, DeferBlocks.HEADER) : 0;
            args.bind(address + DeferBlocks.HEADER, argSize, word);
            try {
                pool.handler(handlerId).run(args);
            } catch (Throwable thrown) {
                if (first == null) {
                    first = thrown;
                } else if (first != thrown) {
                    first.addSuppressed(thrown);
                }
            } finally {
                args.unbind();
                releaseBlock(block, argSize);
            }
        }
        if (first instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (first instanceof Error error) {
            throw error;
        }
        if (first != null) {
            throw new java.lang.reflect.UndeclaredThrowableException(first, "a deferred action threw " + first);
        }
    }

    /** Address of the newest pending block; for tests in this package. */
    long head() {
        return head;
    }

    // ---- ownership ----------------------------------------------------------------------------

    private ThreadCache cache() {
        ThreadCache own = cache;
        if (own == null && !owner.isVirtual()) {
            own = allocator.threadCache();
            cache = own;
        }
        return own;
    }

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
        Thread current = Thread.currentThread();
        if (current != owner) {
            throw new IllegalStateException("a DeferScope belongs to " + owner + ", but " + current
                    + " used it; hand it over with moveTo");
        }
    }
}
