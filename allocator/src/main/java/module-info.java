/**
 * The size-class allocator. Its slow paths emit JDK Flight Recorder events, hence {@code jdk.jfr};
 * {@code MemStats} is in its public signatures, hence {@code requires transitive}. It maps memory
 * through FFM downcalls: run with {@code --enable-native-access=io.segpool.allocator}.
 *
 * <p>It exports its API package and nothing else: the jcstress races' seam and the benchmarks'
 * ablations live in the unpublished {@code segpool-engine-probe}.
 */
module io.segpool.allocator {
    requires transitive io.segpool.stats;
    requires jdk.jfr;

    exports io.segpool.allocator;
}
