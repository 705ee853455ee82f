package io.segpool.stats.internal;

import io.segpool.stats.MemStats;

/**
 * Fills a {@link MemStats}: the mutators that are not part of its public API. Only segpool's own
 * modules fill a snapshot (this package is exported to {@code io.segpool.allocator}, whose JMX
 * MXBean gathers an allocator's and its pools' figures, and {@code io.segpool.pools} alone); get the one instance with {@link #get()}.
 */
public interface MemStatsWriter {

    /**
     * {@return the writer, which {@link MemStats} installs when its class is initialized}
     */
    static MemStatsWriter get() {
        return MemStatsAccess.writer();
    }

    /**
     * Sets {@link MemStats#sys()}.
     *
     * @param stats the snapshot to fill
     * @param value the new figure
     */
    void setSys(MemStats stats, long value);

    /**
     * Sets {@link MemStats#inuse()}.
     *
     * @param stats the snapshot to fill
     * @param value the new figure
     */
    void setInuse(MemStats stats, long value);

    /**
     * Sets {@link MemStats#mallocs()}.
     *
     * @param stats the snapshot to fill
     * @param value the new figure
     */
    void setMallocs(MemStats stats, long value);

    /**
     * Sets {@link MemStats#frees()}.
     *
     * @param stats the snapshot to fill
     * @param value the new figure
     */
    void setFrees(MemStats stats, long value);

    /**
     * Sets {@link MemStats#cached()}.
     *
     * @param stats the snapshot to fill
     * @param value the new figure
     */
    void setCached(MemStats stats, long value);

    /**
     * Sets {@link MemStats#central()}.
     *
     * @param stats the snapshot to fill
     * @param value the new figure
     */
    void setCentral(MemStats stats, long value);

    /**
     * Sets {@link MemStats#released()}.
     *
     * @param stats the snapshot to fill
     * @param value the new figure
     */
    void setReleased(MemStats stats, long value);

    /**
     * Sets {@link MemStats#threadCaches()}.
     *
     * @param stats the snapshot to fill
     * @param value the new figure
     */
    void setThreadCaches(MemStats stats, long value);

    /**
     * Sets {@link MemStats#stackSys()} and {@link MemStats#stackInuse()}.
     *
     * @param stats the snapshot to fill
     * @param sys the new {@code StackSys}
     * @param inuse the new {@code StackInuse}
     */
    void setStack(MemStats stats, long sys, long inuse);

    /**
     * Sets {@link MemStats#deferSys()} and {@link MemStats#deferInuse()}.
     *
     * @param stats the snapshot to fill
     * @param sys the new {@code DeferSys}
     * @param inuse the new {@code DeferInuse}
     */
    void setDefer(MemStats stats, long sys, long inuse);

    /**
     * Starts a fill: sets the number of size classes, clears their rows and zeroes the four pool
     * figures (a pool's read sets its own two again afterwards), without allocating when the
     * snapshot has had that many classes before. Every fill starts here, so that a reused snapshot
     * keeps nothing of an earlier read.
     *
     * @param stats the snapshot to fill
     * @param count the number of size classes, 0 or more
     * @throws IllegalArgumentException if {@code count} is negative
     */
    void resetClasses(MemStats stats, int count);

    /**
     * Sets one class row's counters.
     *
     * @param stats the snapshot to fill
     * @param i the class index, from 0 to {@link MemStats#classCount()} - 1
     * @param size the block size of the class, in bytes
     * @param mallocs the blocks of the class handed out
     * @param frees the blocks of the class freed
     * @param refills the batches the thread caches took from the central stack
     * @param spills the batches the thread caches gave back to the central stack
     * @throws IndexOutOfBoundsException if {@code i} is outside that range
     */
    void setClass(MemStats stats, int i, long size, long mallocs, long frees, long refills, long spills);

    /**
     * Sets one class row's bounds.
     *
     * @param stats the snapshot to fill
     * @param i the class index, from 0 to {@link MemStats#classCount()} - 1
     * @param ringCapacity the most free blocks of the class one thread's ring holds
     * @param batch the blocks a ring trades with the central stack at once
     * @param chunkBytes the bytes mapped for the class at once
     * @throws IndexOutOfBoundsException if {@code i} is outside that range
     */
    void setClassLimits(MemStats stats, int i, int ringCapacity, int batch, long chunkBytes);
}
