package io.segpool.allocator;

import io.segpool.stats.MemStats;
import io.segpool.stats.internal.MemStatsWriter;

/**
 * Sums an allocator's figures into a {@link MemStats}: the reader pays, the hot path does not.
 * Every byte of {@code Sys} is in exactly one place: handed out ({@code Inuse}), in a ring
 * ({@code Cached}), on a central stack, not carved yet, or a free large block kept for reuse
 * ({@code Central}), or given back to the OS and still mapped ({@code Released}).
 */
final class MemStatsReader {

    private static final MemStatsWriter WRITE = MemStatsWriter.get();

    private MemStatsReader() {
    }

    /** Fills {@code stats}; {@code sums} is scratch of three longs, held by the caller. */
    static void fill(MemStats stats, long[] sums, CentralStack[] centrals, CacheRegistry caches, Heap heap,
                     LargeBlocks large) {
        WRITE.resetClasses(stats, centrals.length);
        long inuse = large.inuse();
        long mallocs = large.mallocs();
        long frees = large.frees();
        long cached = 0;
        long centralBytes = large.cachedBytes();
        for (int c = 0; c < centrals.length; c++) {
            long size = SizeClasses.size(c);
            caches.sumClass(c, sums);
            CentralStack central = centrals[c];
            WRITE.setClass(stats, c, size, sums[0], sums[1], central.refills(), central.spills());
            WRITE.setClassLimits(stats, c, SizeClasses.ringCapacity(c), SizeClasses.batch(c), central.chunkBytes);
            mallocs += sums[0];
            frees += sums[1];
            inuse += (sums[0] - sums[1]) * size;
            cached += sums[2] * size;
            centralBytes += central.bytes();
        }
        WRITE.setSys(stats, heap.top() + large.mapped());
        WRITE.setInuse(stats, inuse);
        WRITE.setMallocs(stats, mallocs);
        WRITE.setFrees(stats, frees);
        WRITE.setCached(stats, cached);
        WRITE.setCentral(stats, centralBytes);
        WRITE.setReleased(stats, heap.released());
        WRITE.setThreadCaches(stats, caches.cacheCount());
    }
}
