/**
 * A small application on segpool's modules, as a user would write it: it requires only the modules
 * it uses, and everything else (io.segpool.stats, jdk.jfr, java.management) must come from theirs.
 */
module app {
    requires io.segpool.allocator;
    requires io.segpool.pools;
}
