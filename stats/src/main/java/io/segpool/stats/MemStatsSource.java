package io.segpool.stats;

/**
 * Something whose memory a {@link MemStats} describes: an allocator or one of its pools. JMX and
 * Micrometer read allocators and pools through this one interface, so neither needs the pools'
 * module: an application that uses the allocator alone publishes it without them.
 *
 * <p>{@code readMemStats} has one meaning wherever it appears: it fills every field of the
 * snapshot with this source's own figures. An allocator's pool figures ({@code StackSys},
 * {@code StackInuse}, {@code DeferSys}, {@code DeferInuse}) read 0; a pool, which owns an
 * allocator of its own, fills that allocator's figures and its own two pool figures, and the
 * other pool's two read 0.
 */
public interface MemStatsSource {

    /** {@return the name this source's JFR events, JMX name and metrics tags carry} */
    String name();

    /**
     * Overwrites every field of {@code stats} with this source's figures, without allocating once
     * the snapshot has held as many size classes before.
     *
     * @param stats the snapshot to overwrite; reuse one to read without garbage
     * @throws IllegalStateException if this source is closed
     * @throws NullPointerException if {@code stats} is null
     */
    void readMemStats(MemStats stats);
}
