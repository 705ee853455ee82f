/**
 * MemStats: the garbage-free statistics snapshot that segpool's allocator and pools fill.
 *
 * <p>{@code io.segpool.stats.internal} holds the snapshot's writer and is exported only to the
 * modules that fill snapshots. When this module is compiled alone they are not there to be found,
 * hence the suppressed {@code module} warning.
 */
@SuppressWarnings("module")
module io.segpool.stats {
    exports io.segpool.stats;
    exports io.segpool.stats.internal to io.segpool.allocator, io.segpool.pools;
}
