package io.segpool.pools;

import io.segpool.allocator.AllocatorConfig;
import io.segpool.allocator.NativeAllocator;
import io.segpool.stats.MemStats;

import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Defer blocks for {@link DeferScope}s: Go's per-P defer pool over the FFM
 * API. Blocks of the five pooled classes (arguments up to 72 bytes) come through the allocator's
 * per-thread 32-slot rings, which trade 16-block batches with a global stack, so a thread that
 * only frees blocks others allocated keeps at most 32 of a class.
 * Larger defers take a block of their exact size from the same allocator.
 *
 * <p>Blocks never leave the pool's scopes, so {@link #create()}'s allocator runs without free
 * checks ({@link #defaultConfig()}); every block goes back zeroed, so no argument byte of one owner
 * is seen by the next. {@link #create(AllocatorConfig)} builds the pool's allocator as a config
 * says: its name, a memory limit on the defer blocks, debug mode, and every other setting.
 */
public final class DeferPool implements AutoCloseable {

    private final NativeAllocator allocator;
    private final PoolStats ownStats;
    /** Registered handlers by id; replaced whole under this, read racily (a published array). */
    private volatile DeferHandler[] handlers = new DeferHandler[0];
    /** Serials that tell one scope's blocks from another's. */
    private final AtomicLong nextScopeSerial = new AtomicLong(1);

    private DeferPool(AllocatorConfig config) {
        // Loading DeferBlocks runs the start-up class check: a broken mapping fails here, loudly.
        Objects.requireNonNull(DeferBlocks.CLASS_BLOCK_SIZE);
        this.allocator = NativeAllocator.create(config);
        this.ownStats = new PoolStats(allocator, PoolStats.Kind.DEFER);
    }

    /**
     * Makes a defer pool with an allocator of its own.
     *
     * @return a new pool; close it to give its memory back
     */
    public static DeferPool create() {
        return new DeferPool(defaultConfig());
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
     * {@return the config {@link #create()} uses: the allocator's defaults with free checks off,
     * since defer blocks never leave the pool's scopes}
     */
    public static AllocatorConfig defaultConfig() {
        return AllocatorConfig.defaults().withCheckFrees(false);
    }

    /** {@return the settings of the pool's own allocator} */
    public AllocatorConfig config() {
        return allocator.config();
    }

    /** {@return the name of the pool's own allocator, as JFR events and metrics report it} */
    public String name() {
        return allocator.name();
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
     */
    public DeferScope newScope() {
        if (!allocator.isOpen()) {
            throw new IllegalStateException("this DeferPool is closed");
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
     * Fills {@code DeferSys} (bytes this pool obtained from the OS, cached blocks included) and
     * {@code DeferInuse} (bytes of blocks holding pending defers). Leaves every other field as it is.
     *
     * @param stats the snapshot to fill
     */
    public void readMemStats(MemStats stats) {
        ownStats.read(stats);
    }

    /**
     * Fills {@code stats} with the full figures of the pool's own allocator: {@code Sys} here is
     * {@code DeferSys}.
     *
     * @param stats the snapshot to fill
     */
    public void readAllocatorStats(MemStats stats) {
        allocator.readMemStats(stats);
    }

    /**
     * Gives back to the OS every chunk of blocks that is wholly free.
     *
     * @return the bytes given back
     */
    public long trim() {
        return allocator.trim();
    }

    /** The pool's own allocator; for tests in this package. */
    NativeAllocator allocator() {
        return allocator;
    }

    /** Gives all memory back to the OS; scopes of this pool refuse every call afterwards. */
    @Override
    public void close() {
        allocator.close();
    }
}
