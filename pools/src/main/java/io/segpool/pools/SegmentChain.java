package io.segpool.pools;

import io.segpool.allocator.MemoryLimitException;
import io.segpool.allocator.NativeAllocator;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The segments and big blocks one {@link SegmentedStack} holds, bottom first: what the stack's
 * slow paths take and give back. The stack keeps the fields of its fast path (the current
 * segment's bounds, the frame records) to itself and asks this only when a request does not fit
 * or a frame that took memory closes. Owned by the stack's thread; plain fields, but for the
 * {@link SegmentCache}'s slots.
 *
 * <p>A rewind keeps the segments it empties in the stack's {@link SegmentCache} (while it has room)
 * instead of giving them back, and {@link #take()} takes a kept one before asking the allocator:
 * a frame that crosses a segment edge the stack crossed before then costs no allocator call.
 * Debug mode keeps none: a segment a frame's close empties goes back to the allocator, whose
 * poison check catches a write to it through a closed frame's segment when it is handed out
 * again. A zeroed pool's kept segment is zeroed when it is taken, as the allocator zeroes a block
 * it hands out.
 */
final class SegmentChain {

    private final SegmentSource source;
    private final BigBlocks big;
    /** The live stacks' kept segments, given back when the pool's limit refuses a new one. */
    private final SpareRegistry spares;
    /** Addresses of the segments held, bottom first, and their views. */
    private long[] segments = new long[4];
    private MemorySegment[] views = new MemorySegment[4];
    private int count;
    /** The segments kept for the next takes; null in debug mode or with no cache, which keep none. */
    private final SegmentCache spare;
    private final boolean zeroed;

    SegmentChain(StackPool pool, NativeAllocator allocator, Thread owner) {
        this.source = new SegmentSource(pool, allocator, owner);
        this.big = new BigBlocks(allocator, pool.segmentSize());
        this.spares = pool.spares();
        int capacity = (int) Math.min(Integer.MAX_VALUE, pool.stackCacheBytes() / pool.segmentSize());
        this.spare = allocator.config().debug() || capacity == 0 ? null : new SegmentCache(capacity);
        this.zeroed = allocator.config().zeroed();
    }

    /** {@return the cache of kept segments, for the pool's registry; null when the stack keeps none} */
    SegmentCache spare() {
        return spare;
    }

    /** {@return the number of segments held} */
    int segmentCount() {
        return count;
    }

    /** {@return the segment count and the big-block count in one long, as a frame's record saves them} */
    long counts() {
        return (long) count << 32 | big.count();
    }

    /** {@return the view of the newest segment held, or null when none} */
    MemorySegment newest() {
        return count > 0 ? views[count - 1] : null;
    }

    /**
     * Takes a new segment and holds it as the newest; returns its view. Changes nothing if the
     * allocator refuses or is closed: the arrays grow before the segment is taken.
     */
    MemorySegment take() {
        if (count == segments.length) {
            segments = Arrays.copyOf(segments, count * 2);
            views = Arrays.copyOf(views, count * 2);
        }
        MemorySegment view = spare != null ? spare.take() : null;
        view = view != null ? reuse(view) : takeNew();
        segments[count] = view.address();
        views[count] = view;
        count++;
        return view;
    }

    /**
     * A segment from the pool's allocator. The segments stacks keep count against the pool's memory
     * limit as in use, so when the limit refuses, the live stacks' kept segments go back first (as
     * {@link StackPool#trim()} takes them) and the take is tried once more: a stack's cache never
     * makes another stack's growth fail. With none kept, the refusal stands and nothing changed.
     */
    private MemorySegment takeNew() {
        try {
            return source.take();
        } catch (MemoryLimitException full) {
            long freed;
            try {
                freed = spares.freeSpares();
            } catch (RuntimeException | Error e) {
                full.addSuppressed(e);
                throw full;
            }
            if (freed == 0) {
                throw full;
            }
            return source.take();
        }
    }

    /**
     * A kept segment, taken back as the newest segment: after the pool's close its memory is gone
     * ({@link IllegalStateException}, the segment forgotten); a zeroed pool's is zeroed first.
     */
    private MemorySegment reuse(MemorySegment view) {
        if (!view.scope().isAlive()) {
            throw StackPool.closed(null);
        }
        if (zeroed) {
            view.fill((byte) 0);
        }
        return view;
    }

    /**
     * Gives every kept segment back, by the owner's hand ({@link SegmentedStack#flush()}, its
     * close); with {@code giveBack} false (the pool is closed) only forgets them. Each is taken out
     * of its slot even if the allocator refuses one (the first refusal is thrown afterwards).
     * {@return the bytes given back}
     */
    long flushSpare(boolean giveBack, long segmentSize) {
        if (spare == null) {
            return 0;
        }
        long bytes = 0;
        Throwable failure = null;
        for (int at = 0; at < spare.filled(); at++) { // the owner's own count: every slot above is empty
            long address = spare.steal(at);
            if (address != 0 && giveBack) {
                try {
                    source.give(address);
                    bytes += segmentSize;
                } catch (RuntimeException | Error e) {
                    failure = Failures.add(failure, e);
                }
            }
        }
        spare.forget();
        if (failure != null) {
            throw Failures.propagate(failure);
        }
        return bytes;
    }

    /** {@return how many segments are kept now; for tests in this package} */
    int segmentsKept() {
        return spare == null ? 0 : spare.kept();
    }

    /** A block of its own for a request no segment can hold; see {@link BigBlocks#allocate}. */
    long allocateBig(long size, long alignment) {
        return big.allocate(size, alignment).address();
    }

    /** {@return what the last {@link #allocateBig} handed out, as a segment} */
    MemorySegment newestBig() {
        return big.newest();
    }

    /**
     * Gives back the big blocks above the first {@code keepBig} and the segments above the first
     * {@code keepSegments}, newest first, keeping each in the cache while it has room; with {@code giveBack} false (the pool is closed: the memory went back with it) only
     * forgets them. Every one leaves the chain even if the allocator refuses one; returns what it
     * threw, or null.
     */
    Throwable rewind(int keepSegments, int keepBig, boolean giveBack) {
        Throwable failure = big.freeDownTo(keepBig, giveBack, null);
        while (count > keepSegments) {
            count--;
            MemorySegment view = views[count];
            views[count] = null;
            if (giveBack && spare != null) {
                try {
                    if (spare.keep(view)) {
                        continue;
                    }
                } catch (RuntimeException | Error e) { // the cache's first slots could not be made: give it back
                    failure = Failures.add(failure, e);
                }
            }
            if (giveBack) {
                try {
                    source.give(segments[count]);
                } catch (RuntimeException | Error e) {
                    failure = Failures.add(failure, e);
                }
            }
        }
        return failure;
    }
}
