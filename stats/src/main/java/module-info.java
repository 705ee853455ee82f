/**
 * MemStats: the garbage-free statistics snapshot that segpool's allocator and pools fill.
 */
module io.segpool.stats {
    exports io.segpool.stats;
}
