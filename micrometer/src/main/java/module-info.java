/**
 * A Micrometer {@code MeterBinder} for segpool's MemStats figures. Micrometer's types are in the
 * binder's signatures, hence {@code requires transitive micrometer.core} (an automatic module).
 */
module io.segpool.micrometer {
    requires transitive io.segpool.allocator;
    requires transitive io.segpool.pools;
    requires transitive micrometer.core;

    exports io.segpool.micrometer;
}
