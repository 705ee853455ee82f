package io.segpool.allocator;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * One allocator's address space for its size-class blocks: a single reservation, made once, that
 * every class chunk is carved from (the Go runtime's arenas, jemalloc's extents). Every segment
 * the allocator hands out is a slice of {@link #all}, one segment over the whole reservation whose
 * scope is a shared {@link Arena}: closing it at {@code close()} is the only unmapping, and it
 * turns every slice invalid at once, so no segment of this heap can ever touch unmapped memory.
 *
 * <p>Layout, in offsets from {@link #base}:
 * <pre>
 *   [0, H)                      the heap: chunks of class blocks, committed as they are carved
 *   [H, H + H/16)               block states of classes of 64 B and up: one int per 64 bytes
 *   [H + H/16, H + H/8)         block states of the 16, 32 and 48 B classes: one byte per 16 bytes
 *   [H + H/8, H + H/8 + H/32Ki) per 64 KiB grain of the heap, a short: the class of its chunk + 1
 *                               (0: not carved, or released) and the grain's index in its chunk
 * </pre>
 * (see {@link BlockState}). The reservation starts inaccessible; carving a chunk commits its
 * bytes and the table bytes that describe them. {@link #release} gives a chunk's pages back with
 * {@code madvise}: the range stays mapped and readable (zeros), so a stale segment over it reads
 * zeros instead of faulting, and the range is reused before the heap grows.
 *
 * <p>Chunk carving and release hold this object's monitor; callers may hold one class's central
 * lock, never the other way round.
 */
final class Heap {

    /** Chunks start on and are multiples of this: the grain of the class table. */
    static final long GRAIN = SizeClasses.CHUNK_ALIGNMENT;
    /** Address space reserved for an allocator without a memory limit. */
    static final long DEFAULT_HEAP = 64L << 30;
    private static final long PAGE = 4096;

    final long heapBytes;
    final long base;
    final MemorySegment all;
    final long intTable;
    final long byteTable;
    private final long classTable;
    private final Arena arena;
    /** True for the process-wide allocator's heap: in the global scope, never unmapped. */
    final boolean forever;
    /** The reservation as mapped: {@link #base} is its first grain boundary. */
    private final long raw;
    private final long span;
    private final MemoryMapper mapper;
    private final MemoryBudget budget;

    /**
     * Bytes of the heap committed so far, from offset 0; written under this with a release store
     * ({@link #TOP}), after the commit. The hot path reads it plainly: it only grows, so a stale
     * value is smaller and sends a valid call to a slow path, which reads it again with acquire.
     */
    private long top;
    private static final VarHandle TOP;

    static {
        try {
            TOP = MethodHandles.lookup().findVarHandle(Heap.class, "top", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    /** Released ranges, offset to length, coalesced; guarded by this. */
    private final TreeMap<Long, Long> releasedRanges = new TreeMap<>();
    /** Sum of {@link #releasedRanges}; guarded by this. */
    private long released;
    /**
     * Set by {@link #close()} under this, before the reservation is unmapped: a carve or release
     * that raced the close is refused instead of calling mprotect or madvise on an address range
     * that may by then belong to another mapping.
     */
    private boolean closed;
    /** Set by {@link #close()} under this once the reservation is unmapped. */
    private boolean unmapped;

    Heap(MemoryMapper mapper, MemoryBudget budget, long heapBytes) {
        this(mapper, budget, heapBytes, false);
    }

    /**
     * A heap of {@code heapBytes}; {@code forever} for the process-wide allocator, whose heap is
     * never unmapped: its segment is in the global scope ({@link Arena#global()}), which is
     * always alive, so no access to it pays a liveness check and the JIT can drop them.
     */
    Heap(MemoryMapper mapper, MemoryBudget budget, long heapBytes, boolean forever) {
        this.mapper = mapper;
        this.budget = budget;
        this.heapBytes = heapBytes;
        this.intTable = heapBytes;
        this.byteTable = heapBytes + heapBytes / 16;
        this.classTable = heapBytes + heapBytes / 8;
        long total = SizeClasses.roundUp(classTable + 2 * (heapBytes / GRAIN), PAGE);
        // One grain more, so that the heap can start on a grain boundary (blocks are aligned from it).
        long span = total + GRAIN;
        this.raw = mapper.reserve(span);
        this.span = span;
        this.forever = forever;
        this.arena = forever ? null : Arena.ofShared();
        this.base = SizeClasses.roundUp(raw, GRAIN);
        // No cleanup action: close() unmaps after the arena closed, so that a failed unmap can be retried.
        this.all = MemorySegment.ofAddress(base).reinterpret(total, forever ? Arena.global() : arena, null);
    }

    /** The heap size for an allocator with {@code limit}: room for fragmentation, bounded by the default. */
    static long heapFor(long limit) {
        if (limit == AllocatorConfig.UNLIMITED) {
            return DEFAULT_HEAP;
        }
        if (limit >= DEFAULT_HEAP / 8) {
            return DEFAULT_HEAP; // 8 x limit would pass the default (and overflow for the largest limits)
        }
        return SizeClasses.roundUp(Math.max(1L << 30, 8 * limit), GRAIN);
    }

    /**
     * A chunk of {@code length} bytes for class {@code sizeClass}: a released range when one fits,
     * else fresh heap. Returns its offset, or -1 with nothing changed when the memory limit or the
     * OS refuses; on {@code lastTry} the refusal is thrown instead.
     */
    synchronized long carve(int sizeClass, long length, boolean lastTry) {
        if (closed) {
            throw Refusals.closed();
        }
        if (!budget.reserve(length)) {
            if (!lastTry) {
                return -1;
            }
            throw Refusals.memoryLimit(sizeClass, SizeClasses.size(sizeClass), 0, length, budget.limit,
                    budget.resident());
        }
        long offset = reuse(length);
        if (offset < 0) {
            try {
                offset = grow(sizeClass, length, lastTry);
            } catch (RuntimeException | Error refused) {
                budget.give(length); // the refusal is thrown with nothing reserved
                throw refused;
            }
            if (offset < 0) {
                budget.give(length);
                return -1;
            }
        }
        setClass(offset, length, sizeClass + 1);
        return offset;
    }

    /** First fit among released ranges; -1 when none is long enough. Under this. */
    private long reuse(long length) {
        Iterator<Map.Entry<Long, Long>> ranges = releasedRanges.entrySet().iterator();
        while (ranges.hasNext()) {
            Map.Entry<Long, Long> range = ranges.next();
            if (range.getValue() >= length) {
                long offset = range.getKey();
                long rest = range.getValue() - length;
                ranges.remove();
                if (rest > 0) {
                    releasedRanges.put(offset + length, rest);
                }
                released -= length;
                return offset;
            }
        }
        return -1;
    }

    /** Commits the next {@code length} bytes of heap and their tables; -1 when refused. Under this. */
    private long grow(int sizeClass, long length, boolean lastTry) {
        long offset = top;
        if (length > heapBytes - offset) {
            if (!lastTry) {
                return -1;
            }
            throw new OutOfMemoryError("allocate: a new chunk of " + SizeClasses.size(sizeClass) + "-byte blocks needs "
                    + length + " bytes, but this allocator's reservation of " + heapBytes + " bytes is used up ("
                    + released + " of them released and too fragmented to reuse)");
        }
        try {
            mapper.commit(base + offset, length);
            mapper.commit(base + intTable + (offset >>> 4), length >>> 4);
            mapper.commit(base + byteTable + (offset >>> 4), length >>> 4);
            long classFrom = classTable + 2 * (offset / GRAIN);
            long pageFrom = classFrom & -PAGE;
            mapper.commit(base + pageFrom, SizeClasses.roundUp(classFrom + 2 * (length / GRAIN), PAGE) - pageFrom);
        } catch (OutOfMemoryError refused) {
            // What was committed stays committed but unused below top: harmless, and reused on the next grow.
            if (!lastTry) {
                return -1;
            }
            throw Refusals.osRefused(sizeClass, SizeClasses.size(sizeClass), 0, length, budget.sys(), refused);
        }
        TOP.setRelease(this, offset + length);
        AllocatorEvents.mapped(budget.allocator, length, SizeClasses.size(sizeClass), budget.mapped(length));
        return offset;
    }

    /** {@code e}, thrown by an access to this heap, or the closed refusal when the access failed because the heap closed. */
    RuntimeException closedOr(IllegalStateException e) {
        return isAlive() ? e : Refusals.closed(e);
    }

    /**
     * Gives a chunk's pages back to the OS. Every block of it must be free and out of every
     * cache and central stack. Its range stays mapped, reads zeros, and is carved again first.
     */
    synchronized void release(long offset, long length) {
        if (closed) {
            throw Refusals.closed();
        }
        long blockSize = SizeClasses.size(classAtCommitted(offset));
        mapper.release(base + offset, length);
        releaseStateTables(offset, length);
        setClass(offset, length, 0);
        long start = offset;
        long end = offset + length;
        Map.Entry<Long, Long> before = releasedRanges.floorEntry(offset);
        if (before != null && before.getKey() + before.getValue() == offset) {
            start = before.getKey();
            releasedRanges.remove(start);
        }
        Long after = releasedRanges.get(end);
        if (after != null) {
            releasedRanges.remove(end);
            end += after;
        }
        releasedRanges.put(start, end - start);
        released += length;
        budget.give(length);
        AllocatorEvents.released(budget.allocator, length, blockSize, budget.sys());
    }

    /**
     * Gives back the block-state table pages that describe a released chunk, with the chunk: a
     * chunk is released only when every block of it is free, so its entries are all 0 (free),
     * and pages given back read 0 again. A chunk is a multiple of 64 KiB at a multiple of 64 KiB,
     * so each table's part of it (a sixteenth of its bytes, at a sixteenth of its offset) is whole
     * 4 KiB pages. Best effort: when the OS refuses, the pages only stay resident, still holding
     * zeros, and the chunk's release stands.
     */
    private void releaseStateTables(long offset, long length) {
        long tableBytes = length / 16;
        if (tableBytes % PAGE != 0 || (offset / 16) % PAGE != 0) {
            return;
        }
        try {
            mapper.release(base + intTable + offset / 16, tableBytes);
            mapper.release(base + byteTable + offset / 16, tableBytes);
        } catch (RuntimeException e) {
            // Resident zeros: correct, only not given back.
        }
    }

    /** Writes the class table for a chunk: {@code value} (class + 1, or 0) and each grain's index. */
    private void setClass(long offset, long length, int value) {
        long grains = length / GRAIN;
        if (grains > 256) {
            throw new IllegalStateException("bad chunk length " + length + ": more than 256 grains");
        }
        for (long g = 0; g < grains; g++) {
            short entry = (short) (value == 0 ? 0 : value | (g << 8));
            all.set(ValueLayout.JAVA_SHORT_UNALIGNED, classTable + 2 * (offset / GRAIN + g), entry);
        }
    }

    /** The class of the chunk that holds heap offset {@code offset}, or -1 when none does. */
    int classAt(long offset) {
        if (offset < 0 || offset >= topAcquire()) {
            return -1;
        }
        return (all.get(ValueLayout.JAVA_SHORT_UNALIGNED, classTable + 2 * (offset / GRAIN)) & 0xFF) - 1;
    }

    /**
     * {@link #classAt} for an offset the caller knows is below the committed top: one plain load
     * of the class table, for the unchecked free path.
     */
    int classAtCommitted(long offset) {
        return (all.get(ValueLayout.JAVA_SHORT_UNALIGNED, classTable + 2 * (offset / GRAIN)) & 0xFF) - 1;
    }

    /** The offset of the chunk that holds {@code offset}; only for an offset whose {@link #classAt} is a class. */
    long chunkStart(long offset) {
        int grain = (all.get(ValueLayout.JAVA_SHORT_UNALIGNED, classTable + 2 * (offset / GRAIN)) >>> 8) & 0xFF;
        return (offset / GRAIN - grain) * GRAIN;
    }

    /**
     * Bytes from heap offset {@code offset} to the end of the class block that holds it, or -1
     * when no carved chunk holds it: one class-table load, and a multiply for the block index
     * (the magic estimate is exact or one too high; one compare corrects it).
     */
    long roomInBlock(long offset) {
        int entry = all.get(ValueLayout.JAVA_SHORT_UNALIGNED, classTable + 2 * (offset / GRAIN));
        int sizeClass = (entry & 0xFF) - 1;
        if (sizeClass < 0) {
            return -1;
        }
        long within = offset - (offset / GRAIN - ((entry >>> 8) & 0xFF)) * GRAIN;
        long blockSize = SizeClasses.size(sizeClass);
        long index = (within * SizeClasses.divisionMagic(sizeClass)) >>> 32;
        if (index * blockSize > within) {
            index--;
        }
        return (index + 1) * blockSize - within;
    }

    /**
     * The block size of the handed-out class block that starts exactly at {@code offset}, or a
     * negative number (not a block start, free, or frees unchecked so no state is kept): the view
     * check's fast path. One load for the classes of 64 B and up (the entry's position must be
     * {@code offset}'s, else it is a neighbour's that starts elsewhere in the same 64 bytes), a
     * second for the 16, 32 and 48 B classes, whose byte entry holds the size handed out and so
     * names the class. The two tables never describe the same chunk, so at most one is nonzero.
     */
    long handedOutAt(long offset) {
        if ((offset & (SizeClasses.GRANULE - 1)) != 0) {
            return -1;
        }
        int code = all.get(ValueLayout.JAVA_INT_UNALIGNED, intTable + BlockState.bigSlot(offset));
        if (code != 0) {
            return BlockState.startsAt(code, offset) ? SizeClasses.size(BlockState.classOf(code)) : -1;
        }
        long small = all.get(ValueLayout.JAVA_BYTE, byteTable + BlockState.smallSlot(offset)) - 1L;
        return small < 0 ? -1 : (Math.max(small, 1) + 15) & -16;
    }

    /**
     * The size the class block that starts at {@code start} was handed out with, or -1 when it is
     * free; {@code start} must be a block start ({@link #blockStart}).
     */
    long handedOutSize(long start) {
        return BlockState.handedOutSize(this, classAt(start), start);
    }

    /** The block size of the class whose chunk holds {@code offset}; only where {@link #classAt} is a class. */
    long blockSizeAt(long offset) {
        return SizeClasses.size(classAt(offset));
    }

    /** The start of the class block that holds heap offset {@code offset}; only where {@link #roomInBlock} is not -1. */
    long blockStart(long offset) {
        return offset + roomInBlock(offset) - SizeClasses.size(classAt(offset));
    }

    /** Bytes committed from the start of the heap; a plain read for the hot path's range checks. */
    long top() {
        return top;
    }

    /**
     * True when heap offset {@code offset} (unsigned: a negative difference is past it too) lies
     * past every committed chunk: the plain top first (the hot path's one load), and only when
     * that says past, the top read with acquire, which sees every chunk committed before a
     * happens-before edge (a block handed across threads). The one committed-heap test of every free.
     */
    boolean pastTop(long offset) {
        return Long.compareUnsigned(offset, top) >= 0 && Long.compareUnsigned(offset, topAcquire()) >= 0;
    }

    /** {@link #top()} for the slow paths: every chunk committed before a happens-before edge counts. */
    long topAcquire() {
        return (long) TOP.getAcquire(this);
    }

    synchronized long released() {
        return released;
    }

    /**
     * Unmaps the whole reservation; every segment of this heap turns invalid first (a thread in
     * the middle of an access gets {@link IllegalStateException}: the arena's close is a handshake).
     * No chunk is carved or released once it has begun. When the arena cannot close (a downcall
     * holds a segment of the heap: {@link IllegalStateException}) or the unmap fails, it throws
     * with the rest still to do, and a later call tries again; once it returns, nothing is mapped.
     */
    synchronized void close() {
        if (arena == null) {
            throw new UnsupportedOperationException("the process-wide heap is never unmapped");
        }
        closed = true;
        if (arena.scope().isAlive()) {
            mapper.closeArena(arena);
        }
        if (!unmapped) {
            mapper.unmap(raw, span);
            unmapped = true;
        }
    }

    /** True once {@link #close()} has begun: no chunk is carved or released after it. */
    synchronized boolean isClosed() {
        return closed;
    }

    /** True while the heap's memory is mapped and its segments valid. */
    boolean isAlive() {
        return all.scope().isAlive();
    }
}
