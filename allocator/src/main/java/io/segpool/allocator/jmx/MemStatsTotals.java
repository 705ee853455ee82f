package io.segpool.allocator.jmx;

import io.segpool.stats.MemStats;

/**
 * The totals of one {@link MemStats} read as an immutable value: the {@code Totals} attribute of
 * {@link MemStatsMXBean}, which a JMX client sees as one {@code CompositeData} whose items are the
 * component names below, all from the same read and so consistent with each other (one attribute
 * per figure would read the allocator once per figure). {@link MemStats} is the reusable,
 * garbage-free snapshot a program reads; this record is what crosses JMX. Bytes unless a count.
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
public record MemStatsTotals(long sys, long inuse, long cached, long central, long released, long mallocs,
                             long frees, long threadCaches, long stackSys, long stackInuse, long deferSys,
                             long deferInuse) {

    /**
     * The totals of {@code stats} (its per-class rows are left out).
     *
     * @param stats a filled snapshot
     * @return its totals
     * @throws NullPointerException if {@code stats} is null
     */
    public static MemStatsTotals of(MemStats stats) {
        return new MemStatsTotals(stats.sys(), stats.inuse(), stats.cached(), stats.central(), stats.released(),
                stats.mallocs(), stats.frees(), stats.threadCaches(), stats.stackSys(), stats.stackInuse(),
                stats.deferSys(), stats.deferInuse());
    }
}
