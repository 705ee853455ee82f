package io.segpool.pools;

/**
 * segpool's MemStats over JMX, registered as {@code io.segpool:type=MemStats} by
 * {@link SegpoolStats#register()}. Bytes unless a count; each read is fresh.
 */
public interface MemStatsMXBean {
    long getSys();

    long getInuse();

    long getCached();

    long getCentral();

    long getReleased();

    long getMallocs();

    long getFrees();

    long getThreadCaches();

    long getStackSys();

    long getStackInuse();

    long getDeferSys();

    long getDeferInuse();
}
