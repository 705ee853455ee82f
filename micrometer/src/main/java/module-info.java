/**
 * A Micrometer {@code MeterBinder} for segpool's MemStats figures. It reads allocators and pools
 * as {@code io.segpool.stats.MemStatsSource}s, so it needs neither the allocator's nor the pools'
 * module itself; {@code MemStatsSource} and Micrometer's types are in the binder's signatures,
 * hence {@code requires transitive} (micrometer.core is an automatic module).
 */
module io.segpool.micrometer {
    requires transitive io.segpool.stats;
    requires transitive micrometer.core;

    exports io.segpool.micrometer;
}
