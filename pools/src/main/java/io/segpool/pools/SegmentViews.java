package io.segpool.pools;

import io.segpool.allocator.NativeAllocator;

import java.lang.foreign.MemorySegment;

/**
 * One {@link SegmentedStack}'s views of the stack segments it has held, by address. Segments come
 * back from the rings again and again, so the view a segment had last time is reused instead of
 * made anew: taking a segment then costs a table probe and no garbage. A view is trusted only if
 * its address matches and its scope is alive. A class block's view (segments up to 1 MiB) shares
 * the allocator's heap scope, which dies only at the allocator's close, so for it the scope test
 * only ever fails after close (and the re-made view is then refused); a larger segment is a span
 * of its own, whose scope dies when the span is unmapped, and its view is re-made when the
 * address comes back in a new span.
 *
 * <p>Open addressing with linear probing, slots by segment number ({@code address / segmentSize}),
 * so the segments of one chunk fill neighbouring slots. The table doubles when half full, up to
 * {@link #MAX_CAPACITY} slots; beyond that it starts over empty, so addresses seen once long ago
 * cannot make it grow without bound. Owned by the stack's thread; plain fields.
 */
final class SegmentViews {

    private static final int INITIAL_CAPACITY = 256;
    private static final int MAX_CAPACITY = 1 << 16;

    private final NativeAllocator allocator;
    private final long segmentSize;
    private final int shift;
    private MemorySegment[] table = new MemorySegment[INITIAL_CAPACITY];
    private int size;

    SegmentViews(NativeAllocator allocator, long segmentSize) {
        this.allocator = allocator;
        this.segmentSize = segmentSize;
        this.shift = Long.numberOfTrailingZeros(segmentSize);
    }

    /** The view of the segment at {@code segment}, made once per segment address and mapping. */
    MemorySegment view(long segment) {
        MemorySegment[] slots = table;
        int mask = slots.length - 1;
        for (int slot = (int) (segment >>> shift) & mask; ; slot = (slot + 1) & mask) {
            MemorySegment view = slots[slot];
            if (view == null) {
                return add(segment);
            }
            if (view.address() == segment) {
                if (view.scope().isAlive()) {
                    return view;
                }
                view = allocator.segment(segment, segmentSize);
                slots[slot] = view;
                return view;
            }
        }
    }

    private MemorySegment add(long segment) {
        MemorySegment view = allocator.segment(segment, segmentSize);
        if (2 * (size + 1) > table.length) {
            MemorySegment[] old = table;
            table = new MemorySegment[old.length < MAX_CAPACITY ? old.length * 2 : old.length];
            size = 0;
            if (old.length < MAX_CAPACITY) {
                for (MemorySegment kept : old) {
                    if (kept != null && kept.scope().isAlive()) {
                        insert(kept);
                    }
                }
            }
        }
        insert(view);
        return view;
    }

    /** Puts a view whose address is not in the table into its first free slot. */
    private void insert(MemorySegment view) {
        int mask = table.length - 1;
        int slot = (int) (view.address() >>> shift) & mask;
        while (table[slot] != null) {
            slot = (slot + 1) & mask;
        }
        table[slot] = view;
        size++;
    }
}
