package io.segpool.pools;

import io.segpool.allocator.AllocatorConfig;
import io.segpool.allocator.NativeAllocator;
import io.segpool.stats.MemStats;
import io.segpool.stats.MemStatsSource;
import io.segpool.stats.internal.MemStatsWriter;

/**
 * What {@link StackPool} and {@link DeferPool} share: an allocator of the pool's own, built from
 * an {@link AllocatorConfig}, whose figures are the pool's figures. Its settings, name, figures,
 * trim and close are the allocator's, so each is written once, here.
 *
 * <p>Two reads, two verbs: {@link #readMemStats} fills every field of a snapshot with the pool's
 * own allocator's figures (its {@code Sys} is the pool's {@code StackSys} or {@code DeferSys});
 * {@link #readPoolStats} fills only the pool's two fields and leaves the rest, so that one
 * {@link MemStats} gathers an allocator's figures and its pools'.
 *
 * <p>The class is package-private and its public methods are not final, so that javac gives each
 * pool public bridge methods of its own: reflection (a framework calling {@code trim} on a
 * {@code StackPool}) then finds them on the public class, not only here, where it could not call
 * them. Being sealed to two final classes, nothing else overrides them ({@link StackPool#trim()}
 * adds its stacks' spare segments).
 */
abstract sealed class PoolBase implements MemStatsSource, AutoCloseable permits StackPool, DeferPool {

    private static final MemStatsWriter WRITE = MemStatsWriter.get();

    /** The pool's own allocator: every byte of the pool is one of its blocks. */
    final NativeAllocator allocator;
    private final boolean stack;
    /** Guarded by this: {@link #readPoolStats} reads the allocator's whole figures here, without garbage. */
    private final MemStats scratch = new MemStats();

    PoolBase(AllocatorConfig config, boolean stack) {
        this.allocator = NativeAllocator.create(config);
        this.stack = stack;
    }

    /** {@return the settings of the pool's own allocator} */
    public AllocatorConfig config() {
        return allocator.config();
    }

    /** {@return the name of the pool's own allocator, as its JFR events, JMX name and metrics report it} */
    @Override
    public String name() {
        return allocator.name();
    }

    /**
     * Fills every field of {@code stats} with the figures of the pool's own allocator, and the
     * pool's two fields with its {@code Sys} and {@code Inuse}: a stack pool's {@code StackSys}
     * and {@code StackInuse}, a defer pool's {@code DeferSys} and {@code DeferInuse}; the other
     * pool's two read 0. To add a pool's two figures to an allocator's, use
     * {@link #readPoolStats} instead.
     *
     * @param stats the snapshot to overwrite; reuse one to read without garbage
     * @throws IllegalStateException if the pool is closed
     * @throws NullPointerException if {@code stats} is null
     */
    @Override
    public void readMemStats(MemStats stats) {
        allocator.readMemStats(stats);
        if (stack) {
            WRITE.setStack(stats, stats.sys(), stats.inuse());
            WRITE.setDefer(stats, 0, 0);
        } else {
            WRITE.setDefer(stats, stats.sys(), stats.inuse());
            WRITE.setStack(stats, 0, 0);
        }
    }

    /**
     * Fills only the pool's two fields and leaves every other as it is: a stack pool's
     * {@code StackSys} (bytes it obtained from the OS, cached segments included) and
     * {@code StackInuse} (bytes of segments and big frame blocks handed out), Go's meanings; a
     * defer pool's {@code DeferSys} (bytes it obtained, cached blocks included) and
     * {@code DeferInuse} (bytes of blocks its scopes hold: pending defers and spares). So one
     * {@link MemStats} gathers an allocator's figures and its pools':
     *
     * <pre>{@code
     * allocator.readMemStats(stats);   // every field
     * stacks.readPoolStats(stats);     // StackSys, StackInuse
     * defers.readPoolStats(stats);     // DeferSys, DeferInuse
     * }</pre>
     *
     * @param stats the snapshot whose pool fields to fill
     * @throws IllegalStateException if the pool is closed
     * @throws NullPointerException if {@code stats} is null
     */
    public synchronized void readPoolStats(MemStats stats) {
        java.util.Objects.requireNonNull(stats, "stats");
        allocator.readMemStats(scratch);
        if (stack) {
            WRITE.setStack(stats, scratch.sys(), scratch.inuse());
        } else {
            WRITE.setDefer(stats, scratch.sys(), scratch.inuse());
        }
    }

    /**
     * Gives memory the pool holds free back to the OS, as {@link NativeAllocator#trim()} does for
     * the pool's own allocator: the pages of every wholly free chunk (they stay mapped and come
     * back zeroed when used again) and the free large blocks kept for reuse.
     *
     * @return the bytes given back
     * @throws IllegalStateException if the pool is closed
     */
    public long trim() {
        return allocator.trim();
    }

    /** {@return the pool's own allocator; for tests in this package} */
    final NativeAllocator allocator() {
        return allocator;
    }

    /**
     * Gives all the pool's memory back to the OS, as {@link NativeAllocator#close()} does for the
     * pool's own allocator. Idempotent, as every close in segpool: closing again does nothing.
     *
     * @throws IllegalStateException if a downcall holds memory of the pool: the pool stays closed
     *         to new work, and close can be called again once the downcall has returned
     */
    @Override
    public void close() {
        allocator.close();
    }
}
