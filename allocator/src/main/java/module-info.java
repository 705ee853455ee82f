/**
 * The size-class allocator. Its slow paths emit JDK Flight Recorder events, hence {@code jdk.jfr};
 * {@code io.segpool.allocator.jmx} publishes its MemStats (and its pools') as a JMX MXBean, hence
 * {@code java.management}, transitive since {@code ObjectName} is in that package's signatures,
 * and here rather than in the pools so that an application using the allocator alone finds JMX
 * where it finds JFR; {@code MemStats} is in its public signatures,
 * hence {@code requires transitive}. It maps memory through FFM downcalls: run with
 * {@code --enable-native-access=io.segpool.allocator}.
 *
 * <p>It exports its API package and nothing else: the jcstress races' seam and the benchmarks'
 * ablations live in the unpublished {@code segpool-engine-probe}.
 */
module io.segpool.allocator {
    requires transitive io.segpool.stats;
    requires jdk.jfr;
    requires transitive java.management;

    exports io.segpool.allocator;
    exports io.segpool.allocator.jmx;
}
