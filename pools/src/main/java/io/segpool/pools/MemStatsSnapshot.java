package io.segpool.pools;

import io.segpool.stats.MemStats;

/**
 * The totals of one {@link MemStats} read, as one value: the {@code Snapshot} attribute of
 * {@link MemStatsMXBean}, which JMX clients see as one {@code CompositeData} whose items are the
 * component names below, all from the same read and so consistent with each other (one
 * attribute per figure would read the allocator once per figure). Bytes unless a count.
 *
 * @param sys {@link MemStats#sys()}
 * @param inuse {@link MemStats#inuse()}
 * @param cached {@link MemStats#cached()}
 * @param central {@link MemStats#central()}
 * @param released {@link MemStats#released()}
 * @param mallocs {@link MemStats#mallocs()}, a count
 * @param frees {@link MemStats#frees()}, a count
 * @param threadCaches {@link MemStats#threadCaches()}, a count
 * @param stackSys {@link MemStats#stackSys()}
 * @param stackInuse {@link MemStats#stackInuse()}
 * @param deferSys {@link MemStats#deferSys()}
 * @param deferInuse {@link MemStats#deferInuse()}
 */
public record MemStatsSnapshot(long sys, long inuse, long cached, long central, long released, long mallocs,
                               long frees, long threadCaches, long stackSys, long stackInuse, long deferSys,
                               long deferInuse) {

    /**
     * The totals of {@code stats} (its per-class rows are left out).
     *
     * @param stats a filled snapshot
     * @return its totals
     * @throws NullPointerException if {@code stats} is null
     */
    public static MemStatsSnapshot of(MemStats stats) {
        return new MemStatsSnapshot(stats.sys(), stats.inuse(), stats.cached(), stats.central(), stats.released(),
                stats.mallocs(), stats.frees(), stats.threadCaches(), stats.stackSys(), stats.stackInuse(),
                stats.deferSys(), stats.deferInuse());
    }
}
