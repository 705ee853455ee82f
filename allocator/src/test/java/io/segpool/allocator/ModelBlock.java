package io.segpool.allocator;

import java.lang.foreign.MemorySegment;

/**
 * One block as the model of {@link AllocatorPropertyTest} knows it: how it was asked for, the
 * bytes it takes ({@link #extent}: its size class, or a large block's mapping), and the stamp
 * pattern written over every byte of it. A block stays in the model after its free as a stale
 * block, so that later wrong calls can name it (a double free, a view of a free block).
 */
final class ModelBlock {

    /** The model's name for the block, {@code b<id>}; ids count up within one run. */
    final int id;
    final long address;
    /** The size it was allocated with: what a free must pass. */
    final long size;
    /** The bytes it takes: the class block size, or a large block's mapping length. */
    final long extent;
    /** The alignment asked for, or 0 for none. */
    final long alignment;
    /** True for a large block (a mapping of its own); false for a class block. */
    final boolean large;
    /** A large block's span, which keeps its identity (and scope) while cached and reused; -1 for a class block. */
    final int span;
    /** The MemStats class row of a class block, or -1. */
    final int classRow;
    /** The segment {@code allocate} returned, or null for {@code allocateAddress}. */
    final MemorySegment segment;
    /** Where in the run's pattern this block's stamp starts. */
    final long patternOffset;
    /** The run's trim count when the block was freed: a later trim may have given its chunk back. */
    int freedAtTrim = -1;

    ModelBlock(int id, long address, long size, long extent, long alignment, boolean large, int span, int classRow,
               MemorySegment segment, long patternOffset) {
        this.id = id;
        this.address = address;
        this.size = size;
        this.extent = extent;
        this.alignment = alignment;
        this.large = large;
        this.span = span;
        this.classRow = classRow;
        this.segment = segment;
        this.patternOffset = patternOffset;
    }

    long end() {
        return address + extent;
    }

    @Override
    public String toString() {
        return "b" + id + "(" + size + " B" + (alignment > 0 ? " aligned " + alignment : "")
                + (large ? ", large span s" + span : ", class " + extent) + " @0x" + Long.toHexString(address) + ")";
    }

    /** A large block's mapping as the model follows it through the large-span cache. */
    static final class Span {
        enum State { LIVE, CACHED, UNMAPPED }

        final int id;
        final long base;
        final long length;
        State state = State.LIVE;

        Span(int id, long base, long length) {
            this.id = id;
            this.base = base;
            this.length = length;
        }
    }

    /** Where a segment passed to {@code free} came from, which decides the rule the model applies. */
    enum Origin {
        /** A slice of the allocator's heap segment (a class block, a view, a slice of one). */
        CLASS,
        /** A segment in a large span's scope. */
        LARGE,
        /** Native memory that is not this allocator's: forged, an Arena's, another allocator's. */
        FOREIGN,
        /** A segment over a Java array. */
        HEAP
    }

    /** A segment and where it came from; {@code span} for {@link Origin#LARGE}. */
    record Tagged(MemorySegment segment, Origin origin, int span, String what) {
    }
}
