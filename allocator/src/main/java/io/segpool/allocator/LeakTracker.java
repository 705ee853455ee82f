package io.segpool.allocator;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Where live blocks were allocated, for leak reports (Netty's leak detector, in segpool's terms):
 * each tracked allocation keeps a stack trace until its block is freed, and
 * {@link NativeAllocator#leakReport()} (also logged by {@code close()}) lists what is left. Sampled
 * tracking keeps one allocation in {@value #SAMPLE}; every-block tracking keeps all. Tracking
 * allocates a trace per tracked block: it is for finding leaks, not for production hot paths.
 */
final class LeakTracker {

    static final int SAMPLE = 128;

    /** A tracked allocation. */
    record Site(long address, long size, String thread, Throwable trace) {
    }

    private final boolean every;
    private final Map<Long, Site> live = new ConcurrentHashMap<>();

    /** The fault seam: {@link MemoryMapper#beforeLeakRecord()} runs before each record is made. */
    private final MemoryMapper edges;

    LeakTracker(AllocatorConfig.LeakTracking mode, MemoryMapper edges) {
        this.every = mode == AllocatorConfig.LeakTracking.EVERY;
        this.edges = edges;
    }

    /** Records where the block at {@code address} was allocated; may throw {@link OutOfMemoryError}, with nothing recorded. */
    void allocated(long address, long size) {
        if (every || ThreadLocalRandom.current().nextInt(SAMPLE) == 0) {
            edges.beforeLeakRecord();
            live.put(address, new Site(address, size, Thread.currentThread().getName(),
                    new Throwable("block allocated here")));
        }
    }

    void freed(long address) {
        if (!live.isEmpty()) {
            live.remove(address);
        }
    }

    /** The report for what {@code stats} says is still in use, by {@code tracker} or, if null, untracked. */
    static String report(LeakTracker tracker, io.segpool.stats.MemStats stats) {
        long blocks = stats.mallocs() - stats.frees();
        if (tracker == null) {
            return stats.inuse() == 0 ? "" : "segpool leak report: " + blocks + " blocks (" + stats.inuse()
                    + " bytes) still in use; leak tracking is off: AllocatorConfig.withLeakTracking names their sites";
        }
        return tracker.report(stats.inuse(), blocks);
    }

    /** The report for {@code inuseBytes} still handed out; empty when nothing is. */
    String report(long inuseBytes, long inuseBlocks) {
        if (inuseBytes == 0) {
            return "";
        }
        List<Site> sites = new ArrayList<>(live.values());
        StringBuilder out = new StringBuilder("segpool leak report: ").append(inuseBlocks).append(" blocks (")
                .append(inuseBytes).append(" bytes) still in use; ").append(sites.size())
                .append(every ? " tracked (every block)" : " tracked (1 in " + SAMPLE + " sampled)").append('\n');
        for (Site site : sites) {
            out.append("block 0x").append(Long.toHexString(site.address())).append(" of ").append(site.size())
                    .append(" bytes, allocated by thread '").append(site.thread()).append("':\n");
            for (StackTraceElement frame : site.trace().getStackTrace()) {
                out.append("\tat ").append(frame).append('\n');
            }
        }
        return out.toString();
    }
}
