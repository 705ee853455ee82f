/**
 * Stack segments and defer blocks on the allocator. {@code SegpoolStats} is a JMX MXBean, hence
 * {@code java.management}; the allocator's and MemStats' types are in the public signatures, hence
 * {@code requires transitive}.
 */
module io.segpool.pools {
    requires transitive io.segpool.allocator;
    requires transitive io.segpool.stats;
    requires java.management;

    exports io.segpool.pools;
}
