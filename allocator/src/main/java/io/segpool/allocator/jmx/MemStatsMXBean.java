package io.segpool.allocator.jmx;

import io.segpool.stats.MemStats;

/**
 * The JMX view of one {@link MemStats}: the interface {@link SegpoolJmx} registers as
 * {@code io.segpool:type=MemStats,name=<allocator name>}. Bytes unless a count; each read is
 * fresh. Read {@link #getTotals()} for figures that must agree with each other: each of the
 * one-figure attributes is a read of its own.
 */
public interface MemStatsMXBean {

    /**
     * {@return every total from one read, as one {@code CompositeData} to a JMX client}
     *
     * @throws IllegalStateException if the allocator or a pool it reads is closed
     */
    MemStatsTotals getTotals();

    /**
     * {@return the Sys figure, as {@link MemStats#sys()} gives it}
     *
     * @throws IllegalStateException if the allocator is closed
     */
    long getSys();

    /**
     * {@return the Inuse figure, as {@link MemStats#inuse()} gives it}
     *
     * @throws IllegalStateException if the allocator is closed
     */
    long getInuse();

    /**
     * {@return the Cached figure, as {@link MemStats#cached()} gives it}
     *
     * @throws IllegalStateException if the allocator is closed
     */
    long getCached();

    /**
     * {@return the Central figure, as {@link MemStats#central()} gives it}
     *
     * @throws IllegalStateException if the allocator is closed
     */
    long getCentral();

    /**
     * {@return the Released figure, as {@link MemStats#released()} gives it}
     *
     * @throws IllegalStateException if the allocator is closed
     */
    long getReleased();

    /**
     * {@return the Mallocs figure, as {@link MemStats#mallocs()} gives it}
     *
     * @throws IllegalStateException if the allocator is closed
     */
    long getMallocs();

    /**
     * {@return the Frees figure, as {@link MemStats#frees()} gives it}
     *
     * @throws IllegalStateException if the allocator is closed
     */
    long getFrees();

    /**
     * {@return the ThreadCaches figure, as {@link MemStats#threadCaches()} gives it}
     *
     * @throws IllegalStateException if the allocator is closed
     */
    long getThreadCaches();

    /**
     * {@return the StackSys figure, as {@link MemStats#stackSys()} gives it; 0 without a stack pool}
     *
     * @throws IllegalStateException if the allocator or the stack pool is closed
     */
    long getStackSys();

    /**
     * {@return the StackInuse figure, as {@link MemStats#stackInuse()} gives it; 0 without a stack pool}
     *
     * @throws IllegalStateException if the allocator or the stack pool is closed
     */
    long getStackInuse();

    /**
     * {@return the DeferSys figure, as {@link MemStats#deferSys()} gives it; 0 without a defer pool}
     *
     * @throws IllegalStateException if the allocator or the defer pool is closed
     */
    long getDeferSys();

    /**
     * {@return the DeferInuse figure, as {@link MemStats#deferInuse()} gives it; 0 without a defer pool}
     *
     * @throws IllegalStateException if the allocator or the defer pool is closed
     */
    long getDeferInuse();
}
