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
 * <p>Deferring and running make no garbage of their own, and a steady defer-then-run loop touches
 * no allocator: the scope keeps a spare block per pooled class and writes into it only what its
 * next defer needs (the arguments, zeroes past them, the header's handler and check words);
 * running it reads back the handler and check words and the first argument word, and a handler's
 * {@link DeferArgs} reads go through one reused view. That holds whether or not the JIT inlines
 * these calls into their callers. One object is the caller's: the segment passed to
 * {@link #defer(int, MemorySegment)} (a slice, typically) is removed by escape analysis only
 * where the JIT inlines that call into the code that made it, so a caller whose call is not
 * inlined makes one per defer. {@link #defer(int)} and {@link #defer(int, long)}, read back with
 * {@link DeferArgs#word()}, take no object at all. A scope is reusable with
 * {@link #runDeferred()}; after {@link #close()} it refuses every call.
 *
 * <p>A refused call changes nothing: every check that can refuse a defer (the thread, a closed
 * scope, the handler id, the arguments' size, arena and thread) runs before a block is taken, and
 * a copy that fails anyway (an arena closed by another thread in between) gives the block back
 * before it throws. An action may call back into its scope: defer again (that defer runs in the
 * same call), run the rest, or close the scope; it may not move it. After the pool closes, a
 * defer or a run throws {@link IllegalStateException}, and {@code close()} closes the scope,
 * throwing if it had to drop pending actions.
 *
 * <p>A scope belongs to one thread at a time; any other thread gets {@link WrongThreadException},
 * as a confined {@link java.lang.foreign.Arena}'s segment throws. {@link #moveTo(Thread)} hands it to another, for
 * work that starts on one thread and finishes on another; the hand-off itself (a queue, a
 * Disruptor) must order the two threads' accesses, as it would for any object.
 */
public final class DeferScope implements AutoCloseable {

    /** The most defers one scope holds pending: the largest array the JVM makes. */
    public static final int MAX_PENDING = Integer.MAX_VALUE - 8;
    private static final String WHAT = "a DeferScope";
    private static final String HINT = "; hand it over with moveTo";

    private final DeferPool pool;
    private final NativeAllocator allocator;
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
    /** Runs of the pending defers in progress: an action may run its scope again. */
    private int running;
    private boolean closed;

    DeferScope(DeferPool pool, NativeAllocator allocator, long serial) {
        this.pool = pool;
        this.allocator = allocator;
        this.serial = serial;
        this.owner = Thread.currentThread();
        this.args = new DeferArgs(allocator, owner);
        this.source = new BlockSource(allocator, owner);
    }

    /**
     * Defers handler {@code handlerId} with no argument.
     *
     * @param handlerId an id from {@link DeferPool#register(DeferHandler)}
     * @throws IllegalArgumentException if no handler of the pool has that id
     * @throws IllegalStateException if the scope or its pool is closed, or it holds
     *         {@link #MAX_PENDING} defers already
     * @throws io.segpool.allocator.MemoryLimitException if a new block would take the pool past
     *         its memory limit (the scope is as it was)
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
     * @throws IllegalStateException if the scope or its pool is closed, or it holds
     *         {@link #MAX_PENDING} defers already
     * @throws io.segpool.allocator.MemoryLimitException if a new block would take the pool past
     *         its memory limit (the scope is as it was)
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
     * @throws IllegalStateException if the scope or its pool is closed, or the arguments' arena is,
     *         or it holds {@link #MAX_PENDING} defers already
     * @throws io.segpool.allocator.MemoryLimitException if a new block would take the pool past
     *         its memory limit (the scope is as it was)
     * @throws WrongThreadException if the calling thread is not the scope's owner, or the
     *         arguments are confined to another thread
     * @throws NullPointerException if {@code arguments} is null
     */
    public void defer(int handlerId, MemorySegment arguments) {
        checkDefer(handlerId);
        long size = DeferBlocks.checkArguments(arguments);
        MemorySegment block = source.take(size);
        try {
            DeferBlocks.clearTail(block, size);
            MemorySegment.copy(arguments, 0, block, DeferBlocks.HEADER, size);
            link(block, handlerId, (int) size);
        } catch (RuntimeException | Error e) {
            throw giveBack(block, size, e);
        }
    }

    /**
     * The two one-word defers: the word at {@code HEADER} is the argument (0 with none), which
     * also covers every byte of a class-0 block past its header.
     */
    private void deferWord(int handlerId, int argSize, long word) {
        checkDefer(handlerId);
        MemorySegment block = source.take(argSize);
        try {
            block.set(ValueLayout.JAVA_LONG_UNALIGNED, DeferBlocks.HEADER, word);
            DeferBlocks.clearTail(block, Long.BYTES);
            link(block, handlerId, argSize);
        } catch (RuntimeException | Error e) {
            throw giveBack(block, argSize, e);
        }
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
     * An action may defer again: that defer runs in this same call. Every action runs even when
     * one throws: the first throwable is thrown afterwards, later ones added to it as suppressed
     * (a checked one wrapped in {@link java.lang.reflect.UndeclaredThrowableException}).
     *
     * @throws IllegalStateException if the scope is closed, or its pool is and defers are pending,
     *         or a block fails its check word (a write over the scope's native memory): that block
     *         and the older defers stay pending, their actions not run
     * @throws WrongThreadException if the calling thread is not the scope's owner
     */
    public void runDeferred() {
        checkUsable();
        runPending();
    }

    /**
     * Runs every pending defer as {@link #runDeferred()} does, then closes the scope and gives its
     * blocks back. Idempotent, as every close in segpool: closing again does nothing. A block that
     * fails its check stops the run: it and the older blocks go back zeroed with their actions not
     * run, and the {@link IllegalStateException} ("bad defer block") is thrown. After the pool's
     * close the memory has gone already: the scope closes, and if defers were pending it throws
     * {@link IllegalStateException} saying how many could not run. An action's throwable is thrown
     * once every action has run, as {@link #runDeferred()} throws it.
     *
     * @throws IllegalStateException if a block fails its check, or the pool was closed with defers
     *         pending (the scope is closed all the same)
     * @throws WrongThreadException if the calling thread is not the scope's owner
     */
    @Override
    public void close() {
        Owner.check(owner, WHAT, HINT);
        if (closed) {
            return;
        }
        Throwable failure = null;
        if (allocator.isOpen()) {
            try {
                runPending();
            } catch (RuntimeException | Error e) {
                failure = e;
            }
        }
        closed = true;
        int left = pending; // more than 0 only when a block failed its check, or the pool is closed
        pending = 0;
        if (allocator.isOpen()) {
            failure = source.freeAll(blocks, left, failure);
        } else {
            failure = ScopeRefusals.dropped(left, source.dropAll(blocks, failure));
        }
        if (failure != null) {
            throw Failures.propagate(failure);
        }
    }

    /**
     * Hands this scope to {@code newOwner}, with its pending defers; from now on only that thread
     * may use it. Blocks are freed to the cache of the thread that runs them; the scope's spare
     * blocks go back to this thread's cache first.
     *
     * @param newOwner the thread that uses the scope from now on; not one that has ended
     * @throws NullPointerException if {@code newOwner} is null
     * @throws IllegalArgumentException if {@code newOwner} has ended: nothing could ever run or
     *         close the scope
     * @throws IllegalStateException if the scope is closed, or one of its actions is running
     * @throws WrongThreadException if the calling thread is not the scope's owner
     */
    public void moveTo(Thread newOwner) {
        checkUsable();
        java.util.Objects.requireNonNull(newOwner, "newOwner");
        if (running > 0) {
            throw ScopeRefusals.moveWhileRunning();
        }
        if (newOwner.getState() == Thread.State.TERMINATED) {
            throw ScopeRefusals.moveToEnded(newOwner);
        }
        // Spares belong to this thread's cache: blocks cross threads only through the allocator's rings.
        Throwable failure = source.freeSpares(null);
        if (failure != null) {
            throw Failures.propagate(failure); // the spares are forgotten; the scope stays this thread's
        }
        source.moveTo(newOwner);
        args.moveTo(newOwner);
        owner = newOwner;
    }

    // ---- running ------------------------------------------------------------------------------

    /**
     * Runs the pending defers until none is left: every action runs, the first throwable is thrown
     * at the end, later ones suppressed in it. A block that fails its check (or a pool closed by
     * an action) stops the run at once; what the actions threw before rides along as suppressed.
     */
    private void runPending() {
        Throwable first = null;
        running++;
        try {
            while (pending > 0) {
                first = Failures.add(first, runNewest());
            }
        } catch (RuntimeException | Error stopped) {
            RuntimeException refusal = !allocator.isOpen() && stopped instanceof IllegalStateException
                    ? ScopeRefusals.closedPool(pending, stopped) : null;
            Throwable thrown = refusal != null ? refusal : stopped;
            Failures.add(thrown, first);
            throw Failures.propagate(thrown);
        } finally {
            running--;
        }
        if (first != null) {
            throw Failures.propagate(first);
        }
    }

    /**
     * Runs the newest pending defer and frees its block; returns what its action threw, or null.
     * A block that fails its check word throws {@link IllegalStateException} before anything
     * changes.
     */
    private Throwable runNewest() {
        int index = pending - 1;
        MemorySegment block = blocks[index];
        long address = block.address();
        long handlerWord = DeferBlocks.readHeader(block, serial, index);
        int argSize = DeferBlocks.argSizeOf(handlerWord);
        pending = index;
        // An action that runs the rest binds their arguments in turn: its own come back afterwards.
        long outerAddress = args.address;
        int outerSize = args.size;
        long outerWord = args.word;
        args.bind(address + DeferBlocks.HEADER, argSize,
                argSize >= Long.BYTES ? block.get(ValueLayout.JAVA_LONG_UNALIGNED, DeferBlocks.HEADER) : 0);
        Throwable thrown = null;
        try {
            pool.handler(DeferBlocks.handlerOf(handlerWord)).run(args);
        } catch (Throwable t) {
            thrown = t;
        }
        args.bind(outerAddress, outerSize, outerWord);
        releaseBlock(block, index, argSize);
        return thrown;
    }

    /** Address of the newest pending block, 0 when none; for tests in this package. */
    long head() {
        return pending > 0 ? blocks[pending - 1].address() : 0;
    }

    // ---- blocks -------------------------------------------------------------------------------

    /** Writes the header and makes the block the newest pending defer. */
    private void link(MemorySegment block, int handlerId, int argSize) {
        int index = pending;
        DeferBlocks.writeHeader(block, handlerId, argSize, serial, index);
        if (index == blocks.length) {
            if (index >= MAX_PENDING) {
                throw ScopeRefusals.tooManyPending();
            }
            blocks = java.util.Arrays.copyOf(blocks, (int) Math.min(2L * index, MAX_PENDING));
        }
        if (blocks[index] != block) {
            blocks[index] = block;
        }
        pending = index + 1;
    }

    /**
     * Keeps a run block as its class's spare if it is the spare or the class has none; else frees
     * it. A scope that an action closed keeps no spare: its spares went back already.
     */
    private void releaseBlock(MemorySegment block, int index, int argSize) {
        if (!closed && source.keep(block, argSize)) {
            return;
        }
        if (blocks[index] == block) { // an action that deferred again may have filled the slot
            blocks[index] = null;
        }
        source.free(block);
    }

    /**
     * Undoes {@link BlockSource#take} for a defer whose copy or header write threw {@code failure}.
     * Returns what to throw: {@code failure}, or the closed pool's refusal when that is why the
     * write failed.
     */
    private RuntimeException giveBack(MemorySegment block, long argSize, Throwable failure) {
        try {
            source.untake(block, argSize);
        } catch (RuntimeException | Error e) {
            failure.addSuppressed(e);
        }
        if (!allocator.isOpen() && failure instanceof IllegalStateException) {
            return ScopeRefusals.closedDuringDefer(failure);
        }
        return Failures.propagate(failure);
    }

    // ---- ownership ----------------------------------------------------------------------------

    /** Refuses a defer from the wrong thread, on a closed scope, or of an unregistered handler, before anything changes. */
    private void checkDefer(int handlerId) {
        checkUsable();
        pool.handler(handlerId); // throws for an id that is not registered
    }

    private void checkUsable() {
        Owner.check(owner, WHAT, HINT);
        if (closed) {
            throw new IllegalStateException("this DeferScope is closed");
        }
    }
}
