package io.segpool.pools;

/**
 * segpool's MemStats over JMX, registered as {@code io.segpool:type=MemStats,name=<allocator>} by
 * {@link SegpoolStats#register()}. Bytes unless a count; each read is fresh. Read
 * {@link #getSnapshot()} for figures that must agree with each other: each of the one-figure
 * attributes is a read of its own.
 */
public interface MemStatsMXBean {

    /**
     * {@return every total from one read, as one {@code CompositeData} to a JMX client}
     */
    MemStatsSnapshot getSnapshot();

    /** {@return the Sys figure, as {@link io.segpool.stats.MemStats#sys()} gives it} */
    long getSys();

    /** {@return the Inuse figure, as {@link io.segpool.stats.MemStats#inuse()} gives it} */
    long getInuse();

    /** {@return the Cached figure, as {@link io.segpool.stats.MemStats#cached()} gives it} */
    long getCached();

    /** {@return the Central figure, as {@link io.segpool.stats.MemStats#central()} gives it} */
    long getCentral();

    /** {@return the Released figure, as {@link io.segpool.stats.MemStats#released()} gives it} */
    long getReleased();

    /** {@return the Mallocs figure, as {@link io.segpool.stats.MemStats#mallocs()} gives it} */
    long getMallocs();

    /** {@return the Frees figure, as {@link io.segpool.stats.MemStats#frees()} gives it} */
    long getFrees();

    /** {@return the ThreadCaches figure, as {@link io.segpool.stats.MemStats#threadCaches()} gives it} */
    long getThreadCaches();

    /** {@return the StackSys figure, as {@link io.segpool.stats.MemStats#stackSys()} gives it} */
    long getStackSys();

    /** {@return the StackInuse figure, as {@link io.segpool.stats.MemStats#stackInuse()} gives it} */
    long getStackInuse();

    /** {@return the DeferSys figure, as {@link io.segpool.stats.MemStats#deferSys()} gives it} */
    long getDeferSys();

    /** {@return the DeferInuse figure, as {@link io.segpool.stats.MemStats#deferInuse()} gives it} */
    long getDeferInuse();
}
