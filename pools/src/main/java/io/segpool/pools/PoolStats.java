package io.segpool.pools;

import io.segpool.allocator.NativeAllocator;
import io.segpool.stats.MemStats;
import io.segpool.stats.internal.MemStatsWriter;

/**
 * Reads a pool's own allocator into the pool's two MemStats fields, without garbage: the full
 * figures land in a scratch {@link MemStats} guarded by this object's monitor.
 */
final class PoolStats {

    enum Kind { STACK, DEFER }

    private static final MemStatsWriter WRITE = MemStatsWriter.get();

    private final NativeAllocator allocator;
    private final Kind kind;
    /** Guarded by this. */
    private final MemStats scratch = new MemStats();

    PoolStats(NativeAllocator allocator, Kind kind) {
        this.allocator = allocator;
        this.kind = kind;
    }

    synchronized void read(MemStats into) {
        allocator.readMemStats(scratch);
        if (kind == Kind.STACK) {
            WRITE.setStack(into, scratch.sys(), scratch.inuse());
        } else {
            WRITE.setDefer(into, scratch.sys(), scratch.inuse());
        }
    }
}
