package io.segpool.pools;

import io.segpool.allocator.AllocatorConfig;

import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Defer blocks for {@link DeferScope}s: Go's per-P defer pool over the FFM API. Blocks of the
 * five pooled classes (arguments up to 72 bytes) come through the allocator's per-thread rings,
 * which trade batches of half a ring with a per-class central stack (a ring holds up to 32
 * blocks and up to 256 KiB; these classes' rings hold 32), so a thread that only frees blocks
 * others allocated keeps at most a ring of a class. Larger defers take a block of their exact
 * size from the same allocator.
 *
 * <p>The pool is configured as its allocator is, with an {@link AllocatorConfig}
 * ({@link #create(AllocatorConfig)}), starting from {@link #defaultConfig()}: free checks off,
 * since blocks never leave the pool's scopes; every block goes back zeroed, so no argument byte
 * of one owner is seen by the next. Its name, a memory limit on the defer blocks, debug mode and
 * every other allocator setting mean what they mean for an allocator.
 */
public final class DeferPool extends PoolBase {

    /** Registered handlers by id; replaced whole under this, read racily (a published array). */
    private volatile DeferHandler[] handlers = new DeferHandler[0];
    /** Serials that tell one scope's blocks from another's. */
    private final AtomicLong nextScopeSerial = new AtomicLong(1);

    private DeferPool(AllocatorConfig config) {
        super(config, false);
        // Loading DeferBlocks runs the start-up class check: a broken mapping fails here, loudly.
        Objects.requireNonNull(DeferBlocks.CLASS_BLOCK_SIZE);
    }

    /**
     * {@return the config {@link #create()} uses: the allocator's defaults with free checks off,
     * since defer blocks never leave the pool's scopes}
     */
    public static AllocatorConfig defaultConfig() {
        return AllocatorConfig.defaults().withCheckFrees(false);
    }

    /**
     * Makes a defer pool with {@link #defaultConfig()}: {@code create(defaultConfig())}.
     *
     * @return a new pool; close it to give its memory back
     */
    public static DeferPool create() {
        return create(defaultConfig());
    }

    /**
     * Makes a defer pool whose own allocator is built as {@code config} says, used as given: start
     * from {@link #defaultConfig()} to keep free checks off, as {@link #create()} does.
     *
     * @param config the settings of the pool's allocator: name, memory limit, debug, ...
     * @return a new pool; close it to give its memory back
     * @throws NullPointerException if {@code config} is null
     */
    public static DeferPool create(AllocatorConfig config) {
        return new DeferPool(Objects.requireNonNull(config, "config"));
    }

    /**
     * Registers a handler once; defers name it by the returned id.
     *
     * @param handler the action to run for each defer that names the id
     * @return the handler's id, for {@link DeferScope#defer(int)} and its siblings
     * @throws NullPointerException if {@code handler} is null
     */
    public synchronized int register(DeferHandler handler) {
        Objects.requireNonNull(handler, "handler");
        DeferHandler[] next = Arrays.copyOf(handlers, handlers.length + 1);
        next[handlers.length] = handler;
        handlers = next;
        return handlers.length - 1;
    }

    /**
     * Opens a scope for the calling thread; only that thread may use it, until it moves it.
     *
     * @return a new, empty scope of this pool
     * @throws IllegalStateException if the pool is closed
     */
    public DeferScope newScope() {
        if (!allocator.isOpen()) {
            throw new IllegalStateException("this DeferPool is closed: its memory went back to the OS");
        }
        return new DeferScope(this, allocator, nextScopeSerial.getAndIncrement());
    }

    DeferHandler handler(int id) {
        DeferHandler[] current = handlers;
        if (id < 0 || id >= current.length) {
            throw new IllegalArgumentException("handler id " + id + " is not registered: ids run from 0 to "
                    + (current.length - 1));
        }
        return current[id];
    }

    /**
     * Gives all memory back to the OS; a defer or a run on a scope of this pool throws
     * {@link IllegalStateException} afterwards, while a scope's {@code close()} still closes it. Idempotent, as every close in segpool: closing again
     * does nothing.
     *
     * @throws IllegalStateException if a downcall holds memory of the pool: the pool stays closed
     *         to new work, and close can be called again once the downcall has returned
     */
    @Override
    public void close() {
        super.close();
    }
}
