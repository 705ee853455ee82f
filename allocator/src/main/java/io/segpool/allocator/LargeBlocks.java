package io.segpool.allocator;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Blocks above {@link SizeClasses#MAX_SIZE}, or aligned beyond a span, and the frees of every
 * segment that is not a slice of the allocator's heap: a large block, or a wrong call to refuse.
 *
 * <p>Each large block is a mapping of its own ({@link SpanSource}), its length rounded to
 * {@link #spanBytes} (eight steps per doubling, at most 12.5% over the request). A freed block is
 * not unmapped: it waits in a small cache of free spans, capped in bytes by
 * {@link AllocatorConfig#largeCacheBytes()}, and the next request that rounds to its length
 * takes it (the most recently freed first, still warm), with no system call and no arena close: a buffer pool that
 * frees and allocates 2 MiB or 16 MiB buffers pays a list scan, not an mmap, a munmap and a
 * handshake with every thread. Past the cap the least recently freed spans are unmapped, outside
 * the lock. A stale segment of a cached or reused span stays valid, as a class block's does; only
 * an unmapped span's segment turns invalid (its arena closes first).
 *
 * <p>The cache is guarded by this object's monitor; a span in it has {@code largeSize == -1}.
 */
final class LargeBlocks {

    private final Liveness live;
    /** Asked to trim the other rooms before a refused mapping is tried again. */
    private final MemoryPressure pressure;
    private final CachedBytes cachedByCentrals;
    private final Heap heap;
    private final SpanSource source;
    private final LeakTracker leaks;
    /** Bytes of large blocks handed out, and their mallocs and frees; guarded by this, with the span list. */
    private long inuse;
    private long mallocs;
    private long frees;
    private final long cap;
    /** {@link AllocatorConfig#checkFrees()}: block states are kept, so a view must lie in a block that is handed out. */
    private final boolean checked;
    /** Whether a free records when it happened: only the background release reads {@link Span#freedAt}. */
    private final boolean stampFrees;
    /** Free spans, least recently freed first; guarded by this. */
    private final List<Span> cached = new ArrayList<>();
    /** Free spans whose segments are invalid but whose munmap failed, to be tried again; guarded by this. */
    private final List<Span> unmapPending = new ArrayList<>();
    /** Sum of the lengths in {@link #cached} and {@link #unmapPending}; written under this, read racily by stats. */
    private volatile long cachedBytes;

    LargeBlocks(Heap heap, SpanSource source, AllocatorConfig config, Rooms rooms) {
        this.live = rooms.live();
        this.pressure = rooms.pressure();
        this.cachedByCentrals = rooms.cached();
        this.heap = heap;
        this.source = source;
        this.leaks = rooms.checks().leaks();
        this.cap = config.largeCacheBytes();
        this.stampFrees = config.releaseAfter() != null;
        this.checked = config.checkFrees();
    }

    /**
     * The bytes a large block of {@code size} is mapped with: rounded up to an eighth of its power
     * of two (and to the 64 KiB span alignment), so that a freed block fits the next request of a
     * similar size. Waste is at most 12.5% of the request.
     */
    static long spanBytes(long size) {
        long step = Math.max(SizeClasses.CHUNK_ALIGNMENT, Long.highestOneBit(Math.max(size, 1)) >>> 3);
        return SizeClasses.roundUp(Math.max(size, 1), step);
    }

    MemorySegment allocate(long size, long alignment) {
        live.check();
        if (size < 0) {
            throw Refusals.negativeSize(size);
        }
        if (size > SizeClasses.MAX_BLOCK) {
            throw Refusals.sizeTooLarge(size, SizeClasses.MAX_BLOCK);
        }
        SizeClasses.checkAlignment(alignment);
        long length = spanBytes(size);
        Span span = reuse(length, alignment, size);
        if (span == null) {
            span = source.mapLarge(length, size, alignment, false);
            if (span == null) {
                pressure.trimForMemory();
                span = source.mapLarge(length, size, alignment, true);
            }
            synchronized (this) {
                inuse += span.length;
                mallocs++;
            }
        }
        if (leaks != null) {
            recordLeak(span, size);
        }
        return span.slice(span.base, size);
    }

    /** The leak record of a large block just handed out; when it cannot be made, the block is freed again. */
    private void recordLeak(Span span, long size) {
        try {
            leaks.allocated(span.base, size);
        } catch (RuntimeException | Error e) {
            release(span, span.base, size);
            throw e;
        }
    }

    /**
     * The span of this allocator that holds {@code address}, or null: the one lookup that every
     * large free and view makes before it refuses. A null after close() is the closed refusal,
     * since close() may have taken the span out of the map meanwhile.
     */
    private Span ownSpan(long address) {
        Span span = SpanMap.lookup(address);
        if (span == null || span.owner != heap) {
            live.check();
            return null;
        }
        return span;
    }

    /** Frees a segment that is not a slice of the heap: a large block of this allocator, or a refusal. */
    void free(MemorySegment segment) {
        live.check();
        if (!segment.isNative()) {
            throw Refusals.heapSegment(segment);
        }
        long address = segment.address();
        long size = segment.byteSize();
        long offset = address - heap.base;
        if (offset >= 0 && offset < heap.heapBytes && segment.scope().isAlive()) {
            throw Refusals.foreignScope(address, size);
        }
        Span span = ownSpan(address);
        if (span == null) {
            throw Refusals.notFromHere(heap, address, size, segment, SpanMap.lookup(address));
        }
        if (segment.scope() != span.scope) {
            // A closed scope: a large block freed and unmapped whose address the OS gave to this
            // newer span, or a closed Arena's segment; a live one: a forgery over the span.
            throw segment.scope().isAlive() ? Refusals.foreignScope(address, size, span)
                    : Refusals.notFromHere(heap, address, size, segment, null);
        }
        release(span, address, size);
    }

    /** Frees by address a block that is not in the heap: a large block of this allocator, or a refusal. */
    void freeAddress(long address, long size) {
        live.check();
        Span span = ownSpan(address);
        if (span == null) {
            throw Refusals.notFromHere(heap, address, size, null, SpanMap.lookup(address));
        }
        release(span, address, size);
    }

    /**
     * What a batch free of {@code size} bytes at {@code address}, outside the heap, is refused
     * with: the single free's refusal where it has one (not this allocator's, an interior
     * address, a free block, another size), and for a large block of exactly that size, that a
     * batch holds class blocks only. Changes nothing.
     */
    RuntimeException batchRefusal(long address, long size) {
        Span span = ownSpan(address);
        if (span == null) {
            return Refusals.notFromHere(heap, address, size, null, SpanMap.lookup(address));
        }
        RuntimeException refused;
        synchronized (this) {
            refused = releaseRefusal(span, address, size);
        }
        return refused != null ? refused : new IllegalArgumentException("freeBatch: the block at 0x" + Long.toHexString(address) + " of " + size
                + " bytes is a large block (its alignment put it outside the size classes): a batch holds class"
                + " blocks only; free it with freeAddress");
    }

    /**
     * The most recently freed cached span of exactly {@code length} bytes (lengths are rounded like
     * size classes, so a span serves every request that rounds to it), handed out; or null.
     */
    private synchronized Span reuse(long length, long alignment, long size) {
        int best = -1;
        for (int i = cached.size() - 1; i >= 0; i--) {
            Span span = cached.get(i);
            if (span.length == length && (span.base & (alignment - 1)) == 0) {
                best = i;
                break;
            }
        }
        if (best < 0) {
            return null;
        }
        Span span = cached.remove(best);
        cachedBytes -= span.length;
        span.largeSize = size;
        inuse += span.length;
        mallocs++;
        return span;
    }

    /**
     * Why a free of {@code size} bytes at {@code address} may not release {@code span}: not its
     * start, already free, or another size; null when it may. Under this allocator's lock.
     */
    private RuntimeException releaseRefusal(Span span, long address, long size) {
        if (address != span.base) {
            return Refusals.notBlockStart(address, size, address - span.base, span.length);
        }
        if (span.largeSize < 0) {
            return Refusals.doubleFree(address, size, span.length);
        }
        return size != span.largeSize ? Refusals.wrongSize(address, size, span.largeSize) : null;
    }

    private void release(Span span, long address, long size) {
        List<Span> evicted;
        synchronized (this) {
            RuntimeException refused = releaseRefusal(span, address, size);
            if (refused != null) {
                throw refused;
            }
            span.largeSize = -1;
            if (stampFrees) {
                span.freedAt = System.nanoTime();
            }
            inuse -= span.length;
            frees++;
            if (leaks != null) {
                leaks.freed(address);
            }
            cached.add(span);
            cachedBytes += span.length;
            evicted = evictOver(Math.min(cap, cachedByCentrals.roomForLarge()));
        }
        unmap(evicted);
    }

    /**
     * Takes spans out of the cache until it holds at most {@code bytes}: first those whose unmap
     * failed before (they are tried again), then the least recently freed. Under this.
     */
    private List<Span> evictOver(long bytes) {
        List<Span> evicted = null;
        while (cachedBytes > bytes && !unmapPending.isEmpty()) {
            Span dead = unmapPending.remove(unmapPending.size() - 1);
            cachedBytes -= dead.length;
            evicted = add(evicted, dead);
        }
        while (cachedBytes > bytes && !cached.isEmpty()) {
            Span oldest = cached.remove(0);
            cachedBytes -= oldest.length;
            evicted = add(evicted, oldest);
        }
        return evicted;
    }

    private static List<Span> add(List<Span> list, Span span) {
        List<Span> out = list == null ? new ArrayList<>() : list;
        out.add(span);
        return out;
    }

    /**
     * Unmaps spans taken out of the cache; outside the lock (each unmap closes an arena: a
     * handshake). A span the JDK or the OS will not give back now (a downcall holds a view of
     * it, or munmap failed) goes back into the cache, counted, and is tried again by the next
     * eviction, trim or close; the others are still unmapped. So an eviction never throws and
     * never loses a span.
     */
    private long unmap(List<Span> spans) {
        long bytes = 0;
        if (spans != null) {
            for (Span span : spans) {
                try {
                    source.release(span);
                    bytes += span.length;
                } catch (RuntimeException e) {
                    if (!live.isOpen()) {
                        continue; // close() gives back what is left
                    }
                    keep(span);
                }
            }
        }
        return bytes;
    }

    /**
     * A span whose unmap failed: back at the old end of the cache if its segments are still valid
     * (the arena did not close, so it can be handed out again), else among the spans that only
     * wait for their unmap to be tried again.
     */
    private synchronized void keep(Span span) {
        if (span.isAlive()) {
            cached.add(0, span);
        } else {
            unmapPending.add(span);
        }
        cachedBytes += span.length;
    }

    /**
     * Unmaps the cached spans freed before {@code freedBefore} ({@link System#nanoTime()}), for the
     * background release; returns the bytes unmapped.
     */
    long releaseIdle(long freedBefore) {
        List<Span> idle;
        synchronized (this) {
            // Least recently freed first: the idle spans are a prefix of the list.
            long idleBytes = 0;
            for (Span span : cached) {
                if (span.freedAt - freedBefore >= 0) {
                    break;
                }
                idleBytes += span.length;
            }
            idle = evictOver(cachedBytes - idleBytes);
        }
        return unmap(idle);
    }

    /** Unmaps cached spans, least recently freed first, until at most {@code bytes} are cached. */
    long evictTo(long bytes) {
        List<Span> evicted;
        synchronized (this) {
            evicted = evictOver(bytes);
        }
        return unmap(evicted);
    }

    /** Unmaps every cached span, for trim(); returns the bytes unmapped. */
    long trim() {
        return evictTo(0);
    }

    /** Bytes of free spans kept for reuse; part of {@code Central} in MemStats. */
    long cachedBytes() {
        return cachedBytes;
    }

    /**
     * The slow path of the allocator's {@code segment(address, size)}: a view of the heap against its top read
     * with acquire, else of part of a large block; refuses an address in none of them.
     */
    MemorySegment segment(long address, long size) {
        live.check();
        long offset = address - heap.base;
        if (Long.compareUnsigned(offset, heap.topAcquire()) < 0) {
            long start = heap.roomInBlock(offset) < 0 ? -1 : heap.blockStart(offset);
            long live = start < 0 || checked && heap.handedOutSize(start) < 0 ? -1 : heap.blockSizeAt(start);
            if (size >= 0 && live >= 0 && size <= live - (offset - start)) {
                return heap.all.asSlice(offset, size);
            }
            if (size == 0 && offset > 0 && endsLiveBlock(offset)) {
                return heap.all.asSlice(offset, 0); // the empty view at a block's end, as asSlice allows
            }
            throw Refusals.viewBeyondBlock(address, size, heap.base + start, live);
        }
        Span span = ownSpan(address);
        if (span == null) {
            throw Refusals.viewBeyondBlock(address, size, -1, -1);
        }
        long handedOut;
        synchronized (this) {
            handedOut = span.largeSize;
        }
        if (size < 0 || handedOut < 0 || address - span.base > handedOut - size) {
            throw Refusals.viewBeyondBlock(address, size, span.base, handedOut < 0 ? -1 : handedOut);
        }
        return span.slice(address, size);
    }

    /** True when heap offset {@code end} is exactly the end of a class block that is handed out. */
    private boolean endsLiveBlock(long end) {
        long last = end - SizeClasses.GRANULE;
        if (heap.roomInBlock(last) != SizeClasses.GRANULE) {
            return false;
        }
        long start = heap.blockStart(last);
        return !checked || heap.handedOutSize(start) >= 0;
    }

    void releaseAll() {
        source.releaseAll();
    }

    synchronized long inuse() {
        return inuse;
    }

    synchronized long mallocs() {
        return mallocs;
    }

    synchronized long frees() {
        return frees;
    }

    long mapped() {
        return source.mapped();
    }
}
