package io.segpool.allocator;

import io.segpool.allocator.ModelBlock.Span;
import io.segpool.allocator.ModelBlock.Tagged;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static io.segpool.allocator.ModelExpect.IAE;
import static io.segpool.allocator.ModelExpect.ISE;

/**
 * The model's view of one allocator: the live blocks by address, the recently freed ones, the
 * large spans and their cache, and the figures MemStats must show. Its rules say, from nothing
 * but the public contract (README "Errors", the Javadoc of {@link NativeAllocator}), what a free
 * or a view of any address must do. They never look inside the allocator: where the contract
 * depends on something the model cannot see (which chunks a trim gave back), the rule says so and
 * allows either refusal ({@link ModelExpect#refused}).
 */
final class ModelHeap {

    /** Stale blocks kept for wrong calls: the most recent first. */
    private static final int STALE_KEPT = 24;

    final TreeMap<Long, ModelBlock> live = new TreeMap<>();
    final ArrayDeque<ModelBlock> stale = new ArrayDeque<>();
    private final Map<Integer, Span> spans = new HashMap<>();
    /** Free large spans kept for reuse, least recently freed first, as DESIGN.md describes. */
    private final List<Span> cached = new ArrayList<>();
    private final long largeCacheCap;
    private int nextSpan;
    int trims;
    long inuse;
    long mallocs;
    long frees;
    final long[] classMallocs;
    final long[] classFrees;

    ModelHeap(long largeCacheCap, int classes) {
        this.largeCacheCap = largeCacheCap;
        this.classMallocs = new long[classes];
        this.classFrees = new long[classes];
    }

    // ---- sizes, from the public blockSize and the documented rounding -------------------------

    /** The bytes a class block for {@code size} on {@code alignment} takes, or -1 when it is a large block. */
    static long classExtent(long size, long alignment) {
        if (size > NativeAllocator.MAX_CLASS_SIZE || alignment > 64 * 1024) {
            return -1;
        }
        if (alignment <= 16) {
            return NativeAllocator.blockSize(size);
        }
        // The 16, 32 and 48 B classes serve 16-byte alignment only; then the first class that is a multiple.
        long extent = NativeAllocator.blockSize(Math.max(size, 49));
        while (extent % alignment != 0) {
            extent = NativeAllocator.blockSize(extent + 1);
        }
        return extent;
    }

    /** A large block's mapping: the size rounded up to an eighth of its power of two, at least 64 KiB steps. */
    static long spanLength(long size) {
        long request = Math.max(size, 1);
        long step = Math.max(64 * 1024, Long.highestOneBit(request) >>> 3);
        return (request + step - 1) / step * step;
    }

    // ---- changes -------------------------------------------------------------------------------

    /** The span a new large block at {@code address} lives in: a cached one reused, else a new mapping. */
    int spanFor(long address, long length) {
        for (int i = cached.size() - 1; i >= 0; i--) {
            Span span = cached.get(i);
            if (span.base == address && span.length == length) {
                cached.remove(i);
                span.state = Span.State.LIVE;
                return span.id;
            }
        }
        Span span = new Span(nextSpan++, address, length);
        spans.put(span.id, span);
        return span.id;
    }

    /** Adds a block handed out; returns the live block it overlaps, or null. */
    ModelBlock allocated(ModelBlock block) {
        var below = live.floorEntry(block.address + Math.max(block.extent, 1) - 1);
        if (below != null && below.getValue().end() > block.address) {
            return below.getValue();
        }
        live.put(block.address, block);
        inuse += block.extent;
        mallocs++;
        if (block.classRow >= 0) {
            classMallocs[block.classRow]++;
        }
        return null;
    }

    void freed(ModelBlock block) {
        live.remove(block.address);
        inuse -= block.extent;
        frees++;
        if (block.classRow >= 0) {
            classFrees[block.classRow]++;
        }
        block.freedAtTrim = trims;
        stale.addFirst(block);
        if (stale.size() > STALE_KEPT) {
            stale.removeLast();
        }
        if (block.large) {
            Span span = spans.get(block.span);
            span.state = Span.State.CACHED;
            cached.add(span);
            long bytes = 0;
            for (Span s : cached) {
                bytes += s.length;
            }
            while (bytes > largeCacheCap) {
                Span oldest = cached.removeFirst();
                oldest.state = Span.State.UNMAPPED;
                bytes -= oldest.length;
            }
        }
    }

    /** A trim: every cached span is unmapped, and any chunk of free blocks may have gone back to the OS. */
    void trimmed() {
        trims++;
        for (Span span : cached) {
            span.state = Span.State.UNMAPPED;
        }
        cached.clear();
    }

    /** True when the large span {@code span} went back to the OS (its segments turned invalid). */
    boolean unmapped(int span) {
        return spans.get(span).state == Span.State.UNMAPPED;
    }

    // ---- rules ---------------------------------------------------------------------------------

    /** The live block whose bytes hold {@code address}, or null. */
    ModelBlock covering(long address) {
        var entry = live.floorEntry(address);
        return entry != null && address - entry.getKey() < Math.max(entry.getValue().extent, 1) ? entry.getValue() : null;
    }

    private ModelBlock staleCovering(long address) {
        for (ModelBlock block : stale) {
            if (address >= block.address && address - block.address < Math.max(block.extent, 1)) {
                return block;
            }
        }
        return null;
    }

    /**
     * {@code freeAddress(address, size)}. {@code unknown} is the rule for an address the model knows
     * nothing of: an address in no chunk is not this allocator's (IllegalArgumentException); a
     * neighbour that was never handed out may be a free block or lie past the heap, so either refusal.
     */
    ModelExpect freeAddress(long address, long size, ModelExpect unknown) {
        ModelBlock block = covering(address);
        if (block != null) {
            if (address != block.address) {
                return ModelExpect.refuse((address - block.address) + " bytes into live " + block + ": not a block start", IAE);
            }
            return size == block.size ? ModelExpect.frees(block)
                    : ModelExpect.refuse("live " + block + " with size " + size + ": wrong size", IAE);
        }
        ModelBlock gone = staleCovering(address);
        if (gone == null) {
            return unknown;
        }
        if (gone.large) {
            Span span = spans.get(gone.span);
            if (span.state != Span.State.CACHED) {
                return ModelExpect.refused("freed " + gone + ", its span unmapped: not this allocator's any more");
            }
            return address == gone.address ? ModelExpect.refuse("freed " + gone + ", span cached: double free", ISE)
                    : ModelExpect.refuse("inside freed " + gone + ": not a block start", IAE);
        }
        if (trims > gone.freedAtTrim) {
            return ModelExpect.refused("freed " + gone + ", then trim(): its chunk may be released or carved again");
        }
        if (address != gone.address) {
            return ModelExpect.refuse((address - gone.address) + " bytes into free " + gone + ": not a block start", IAE);
        }
        if (size < 0 || size > NativeAllocator.MAX_CLASS_SIZE) {
            return ModelExpect.refused("freed " + gone + " with size " + size + ": double free and no class size");
        }
        return ModelExpect.refuse("freed " + gone + ": double free", ISE);
    }

    /** {@code free(segment)}, by where the segment came from. */
    ModelExpect free(Tagged tagged) {
        long address = tagged.segment().address();
        long size = tagged.segment().byteSize();
        return switch (tagged.origin()) {
            case HEAP -> ModelExpect.refuse("a heap segment", IAE);
            case FOREIGN -> ModelExpect.refuse(tagged.what() + ": not this allocator's", IAE);
            case CLASS -> freeAddress(address, size, ModelExpect.refused("a free class block the model did not hand out"));
            case LARGE -> {
                Span span = spans.get(tagged.span());
                ModelBlock block = covering(address);
                if (span.state == Span.State.LIVE && block != null && block.span == span.id) {
                    yield address != block.address ? ModelExpect.refuse("a slice of live " + block, IAE)
                            : size == block.size ? ModelExpect.frees(block)
                            : ModelExpect.refuse("live " + block + " with size " + size + ": wrong size", IAE);
                }
                if (span.state == Span.State.CACHED) {
                    yield address == span.base ? ModelExpect.refuse("span s" + span.id + " cached: double free", ISE)
                            : ModelExpect.refuse("inside cached span s" + span.id + ": not a block start", IAE);
                }
                yield ModelExpect.refuse("span s" + span.id + " unmapped: its segment's scope is closed, so no live block", IAE);
            }
        };
    }

    /** {@code segment(address, size)}: a view must lie inside one live block (a large one's requested bytes). */
    ModelExpect view(long address, long size) {
        if (size < 0) {
            return ModelExpect.refuse("negative view size", IAE);
        }
        ModelBlock block = covering(address);
        if (block == null) {
            ModelBlock before = size == 0 ? covering(address - 1) : null;
            if (before != null && !before.large && before.end() == address) {
                return ModelExpect.accept("the empty view at the end of live " + before);
            }
            return ModelExpect.refuse("no live block holds 0x" + Long.toHexString(address), IAE);
        }
        long room = block.large ? block.size - (address - block.address) : block.end() - address;
        return size <= room ? ModelExpect.accept("inside live " + block)
                : ModelExpect.refuse("view of " + size + " B at +" + (address - block.address) + " passes the end of "
                + block, IAE);
    }

    /** {@code allocate(size[, alignment])}: {@code alignment} 0 for the call without one. */
    static ModelExpect allocate(long size, long alignment, boolean aligned) {
        if (size < 0 || size > NativeAllocator.MAX_BLOCK) {
            return ModelExpect.refuse("size " + size + " outside 0.." + NativeAllocator.MAX_BLOCK, IAE);
        }
        if (aligned && (alignment <= 0 || alignment > NativeAllocator.MAX_ALIGNMENT || Long.bitCount(alignment) != 1)) {
            return ModelExpect.refuse("alignment " + alignment + " not a power of two up to 1 GiB", IAE);
        }
        return ModelExpect.accept("allocation");
    }
}
