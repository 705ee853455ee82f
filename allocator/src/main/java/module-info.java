/**
 * The size-class allocator. Its slow paths emit JDK Flight Recorder events, hence {@code jdk.jfr};
 * {@code MemStats} is in its public signatures, hence {@code requires transitive}. It maps memory
 * through FFM downcalls: run with {@code --enable-native-access=io.segpool.allocator}.
 *
 * <p>{@code io.segpool.allocator.internal} is a test seam for the jcstress races and is not
 * exported.
 */
module io.segpool.allocator {
    requires transitive io.segpool.stats;
    requires jdk.jfr;

    exports io.segpool.allocator;
}
