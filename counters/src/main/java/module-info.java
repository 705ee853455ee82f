/**
 * segpool's counters file: an allocator's (and its pools') MemStats in a fixed-layout
 * memory-mapped file, written by a publisher thread on a period and read live by another process
 * ({@code ./segpool stat}), as Aeron's media driver keeps its counters in a file that
 * {@code AeronStat} reads. It needs only {@code io.segpool.stats}: it reads any
 * {@code MemStatsSource}, so an application passes the same source it gives JMX, and the file's
 * figures are JMX's.
 */
module io.segpool.counters {
    requires transitive io.segpool.stats;

    exports io.segpool.counters;
}
