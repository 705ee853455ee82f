package io.segpool.allocator;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.EventType;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * JDK Flight Recorder events for the allocator's slow paths: a ring's refill and spill, a chunk
 * mapped or unmapped, a trim, an ended thread's cache reclaimed. The hot path (a ring hit) emits
 * nothing. Every event names its allocator ({@link NativeAllocator#name()}), so several allocators
 * in one JVM can be told apart. Each emitter first asks its event type whether it is enabled, so
 * with no recording running an emitter costs one load and makes no event object.
 */
final class AllocatorEvents {

    /**
     * Test seam: run before every commit, so that a test can make the n-th commit fail. Null
     * outside tests.
     */
    static volatile Runnable beforeCommit;

    private AllocatorEvents() {
    }

    /**
     * Commits {@code event}. Events are emitted after the state change they describe is
     * complete, so a failing commit (the recorder out of memory or buffers) must not fail the
     * call that made it: the event is dropped, and the allocation, free or trim stands.
     */
    private static void commit(Event event) {
        try {
            Runnable hook = beforeCommit;
            if (hook != null) {
                hook.run();
            }
            event.commit();
        } catch (RuntimeException | OutOfMemoryError dropped) {
            // telemetry never fails the call it describes
        }
    }

    @Name("io.segpool.Refill") @Label("Ring Refill") @Category({"segpool", "Allocator"}) @StackTrace(false)
    @Description("A thread's ring was empty and took a batch from its class's central stack")
    @Enabled(false) // one per batch exchange: enable it by name, not in every recording
    static final class Refill extends Event {
        @Label("Allocator") @Description("the allocator's name") String allocator;
        @Label("Block Size") @DataAmount long blockSize;
        @Label("Blocks") int blocks;
    }

    @Name("io.segpool.Spill") @Label("Ring Spill") @Category({"segpool", "Allocator"}) @StackTrace(false)
    @Description("A thread's ring was full and gave its oldest batch to its class's central stack")
    @Enabled(false) // one per batch exchange: enable it by name, not in every recording
    static final class Spill extends Event {
        @Label("Allocator") @Description("the allocator's name") String allocator;
        @Label("Block Size") @DataAmount long blockSize;
        @Label("Blocks") int blocks;
    }

    @Name("io.segpool.ChunkMapped") @Label("Chunk Mapped") @Category({"segpool", "Allocator"}) @StackTrace(false)
    @Description("A class chunk was committed in the allocator's reservation and carved into blocks")
    static final class ChunkMapped extends Event {
        @Label("Allocator") @Description("the allocator's name") String allocator;
        @Label("Bytes") @DataAmount long bytes;
        @Label("Block Size") @DataAmount @Description("the size class the chunk is carved into") long blockSize;
        @Label("Sys After") @DataAmount long sys;
    }

    @Name("io.segpool.ChunkReleased") @Label("Chunk Released") @Category({"segpool", "Allocator"}) @StackTrace(false)
    @Description("A wholly free class chunk's pages went back to the OS (madvise): Released grew, Sys stayed")
    static final class ChunkReleased extends Event {
        @Label("Allocator") @Description("the allocator's name") String allocator;
        @Label("Bytes") @DataAmount long bytes;
        @Label("Block Size") @DataAmount @Description("the size class the chunk was carved into") long blockSize;
        @Label("Sys After") @DataAmount long sys;
    }

    @Name("io.segpool.SpanMapped") @Label("Span Mapped") @Category({"segpool", "Allocator"}) @StackTrace(false)
    @Description("A large block got a mapping of its own")
    static final class SpanMapped extends Event {
        @Label("Allocator") @Description("the allocator's name") String allocator;
        @Label("Bytes") @DataAmount @Description("the span's length, its block size") long bytes;
        @Label("Sys After") @DataAmount long sys;
    }

    @Name("io.segpool.SpanUnmapped") @Label("Span Unmapped") @Category({"segpool", "Allocator"}) @StackTrace(false)
    @Description("A free large span was unmapped (munmap): Sys fell")
    static final class SpanUnmapped extends Event {
        @Label("Allocator") @Description("the allocator's name") String allocator;
        @Label("Bytes") @DataAmount @Description("the span's length") long bytes;
        @Label("Sys After") @DataAmount long sys;
    }

    @Name("io.segpool.Trim") @Label("Trim") @Category({"segpool", "Allocator"}) @StackTrace(false)
    static final class Trim extends Event {
        @Label("Allocator") @Description("the allocator's name") String allocator;
        @Label("Bytes Unmapped") @DataAmount long bytes;
    }

    @Name("io.segpool.CacheReclaimed") @Label("Dead Thread Cache Reclaimed") @Category({"segpool", "Allocator"})
    @StackTrace(false)
    static final class CacheReclaimed extends Event {
        @Label("Allocator") @Description("the allocator's name") String allocator;
        @Label("Thread") String thread;
        @Label("Blocks") long blocks;
    }

    private static final EventType REFILL = EventType.getEventType(Refill.class);
    private static final EventType SPILL = EventType.getEventType(Spill.class);
    private static final EventType MAPPED = EventType.getEventType(ChunkMapped.class);
    private static final EventType RELEASED = EventType.getEventType(ChunkReleased.class);
    private static final EventType SPAN_MAPPED = EventType.getEventType(SpanMapped.class);
    private static final EventType SPAN_UNMAPPED = EventType.getEventType(SpanUnmapped.class);
    private static final EventType TRIM = EventType.getEventType(Trim.class);
    private static final EventType RECLAIMED = EventType.getEventType(CacheReclaimed.class);

    static void refill(String allocator, long blockSize, int blocks) {
        if (REFILL.isEnabled()) {
            Refill event = new Refill();
            event.allocator = allocator;
            event.blockSize = blockSize;
            event.blocks = blocks;
            commit(event);
        }
    }

    static void spill(String allocator, long blockSize, int blocks) {
        if (SPILL.isEnabled()) {
            Spill event = new Spill();
            event.allocator = allocator;
            event.blockSize = blockSize;
            event.blocks = blocks;
            commit(event);
        }
    }

    static void mapped(String allocator, long bytes, long blockSize, long sys) {
        if (MAPPED.isEnabled()) {
            ChunkMapped event = new ChunkMapped();
            event.allocator = allocator;
            event.bytes = bytes;
            event.blockSize = blockSize;
            event.sys = sys;
            commit(event);
        }
    }

    static void released(String allocator, long bytes, long blockSize, long sys) {
        if (RELEASED.isEnabled()) {
            ChunkReleased event = new ChunkReleased();
            event.allocator = allocator;
            event.bytes = bytes;
            event.blockSize = blockSize;
            event.sys = sys;
            commit(event);
        }
    }

    static void spanMapped(String allocator, long bytes, long sys) {
        if (SPAN_MAPPED.isEnabled()) {
            SpanMapped event = new SpanMapped();
            event.allocator = allocator;
            event.bytes = bytes;
            event.sys = sys;
            commit(event);
        }
    }

    static void spanUnmapped(String allocator, long bytes, long sys) {
        if (SPAN_UNMAPPED.isEnabled()) {
            SpanUnmapped event = new SpanUnmapped();
            event.allocator = allocator;
            event.bytes = bytes;
            event.sys = sys;
            commit(event);
        }
    }

    static void trim(String allocator, long bytes) {
        if (TRIM.isEnabled()) {
            Trim event = new Trim();
            event.allocator = allocator;
            event.bytes = bytes;
            commit(event);
        }
    }

    static void reclaimed(String allocator, Thread thread, long blocks) {
        if (RECLAIMED.isEnabled()) {
            CacheReclaimed event = new CacheReclaimed();
            event.allocator = allocator;
            event.thread = thread.getName();
            event.blocks = blocks;
            commit(event);
        }
    }
}
