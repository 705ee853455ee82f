/**
 * Stack segments and defer blocks on the allocator. The allocator's and MemStats' types are in
 * the public signatures, hence {@code requires transitive}. JMX is the allocator module's
 * ({@code io.segpool.allocator.jmx}), which reads the pools as {@code MemStatsSource}s.
 */
module io.segpool.pools {
    requires transitive io.segpool.allocator;
    requires transitive io.segpool.stats;

    exports io.segpool.pools;
}
