package io.segpool.netty;

import io.segpool.allocator.NativeAllocator;
import io.segpool.allocator.ThreadCache;

import java.lang.foreign.MemorySegment;

/**
 * Per platform thread, a {@link Carrier}: the thread's own segpool {@link ThreadCache}, released
 * buffer objects for its next allocations, and the segments of the blocks it used last, so that
 * neither an allocate/release pair nor a buffer grown block by block makes garbage once the
 * thread's ring hands the same blocks back. Netty's own {@code io.netty.util.Recycler} pools
 * only on Netty's {@code FastThreadLocalThread}s since 4.2; this one pools on every platform
 * thread, whichever made the buffer: a buffer released on another thread joins that thread's
 * stack, up to {@link #CAPACITY}, and past it is left to the GC. Virtual threads keep nothing
 * (there may be millions, each living briefly): they get no carrier, and allocate new buffer
 * objects and segments.
 *
 * <p>A thread finds its carrier in a table indexed by its thread id, as segpool's allocator finds
 * its caches: one load of the table, one of the slot and a compare, where a {@code ThreadLocal}
 * costs a hash probe and a weak reference's read. A buffer keeps the carrier it was made from, so
 * a release on the same thread finds it with one compare and no lookup at all. A slot another
 * live thread holds makes the table grow, up to {@link #MAX_SLOTS}; past that, threads whose
 * slot is taken fall back to a {@code ThreadLocal}. A slot whose thread has ended is given to the
 * next thread that maps to it (thread ids rise, so new threads reach old slots soon), which frees
 * the ended thread's buffer objects for the GC; until then an ended thread's carrier keeps at
 * most {@link #CAPACITY} buffer objects and its segment cache, bounded by the table's size, which
 * follows the most threads alive at once.
 */
final class BufferRecycler {

    /** The most released buffer objects one thread keeps. */
    static final int CAPACITY = 256;
    /** The carrier table's largest size: threads past it in one slot use {@link #overflow}. */
    private static final int MAX_SLOTS = 4096;
    /**
     * Slots of the per-thread segment cache: {@link #WAYS}-way sets chosen by a multiplicative
     * hash of the block address. Blocks of a size class start at multiples of large powers of two
     * (a chunk's first block), so a hash of the low address bits alone puts them all in one slot,
     * and a grown buffer's blocks then evict each other on every growth.
     */
    private static final int SEGMENT_SLOTS = 256;
    /** Entries per set: a buffer grown from 256 B to 64 KiB holds nine blocks' segments at once. */
    private static final int WAYS = 4;
    private static final int SET_BITS = Integer.numberOfTrailingZeros(SEGMENT_SLOTS / WAYS);

    /** One platform thread's share: only that thread reads or writes its mutable fields. */
    static final class Carrier {
        final Thread owner;
        /** The owner's own cache of the allocator: blocks without the allocator's thread lookup. */
        final ThreadCache cache;
        private final SegpoolByteBuf[] items = new SegpoolByteBuf[CAPACITY];
        private final MemorySegment[] segments = new MemorySegment[SEGMENT_SLOTS];
        private int size;
        /** The next way to evict, turning, so that a full set drops its entries in turn. */
        private int victim;

        Carrier(Thread owner, ThreadCache cache) {
            this.owner = owner;
            this.cache = cache;
        }

        /** A released buffer object, or a new one. */
        SegpoolByteBuf pop() {
            int n = size;
            if (n == 0) {
                return new SegpoolByteBuf();
            }
            SegpoolByteBuf buf = items[--n];
            items[n] = null;
            size = n;
            return buf;
        }

        /** Keeps {@code buf}, just released, for the next allocation. */
        void push(SegpoolByteBuf buf) {
            int n = size;
            if (n < CAPACITY) {
                items[n] = buf;
                size = n + 1;
            }
        }

        /** The cached segment of exactly {@code bytes} at {@code address}, or null. */
        MemorySegment cachedSegment(long address, long bytes) {
            int first = set(address);
            for (int i = first; i < first + WAYS; i++) {
                MemorySegment cached = segments[i];
                if (cached != null && cached.address() == address && cached.byteSize() == bytes) {
                    return cached;
                }
            }
            return null;
        }

        /** Remembers {@code segment}, a class block's: in a free way of its set, else in turn. */
        void cacheSegment(MemorySegment segment) {
            int first = set(segment.address());
            for (int i = first; i < first + WAYS; i++) {
                if (segments[i] == null) {
                    segments[i] = segment;
                    return;
                }
            }
            int way = victim;
            victim = (way + 1) & (WAYS - 1);
            segments[first + way] = segment;
        }
    }

    private final NativeAllocator memory;
    /** Carriers by {@code threadId & (length - 1)}; replaced whole when it grows, slots set under this object's lock. */
    private volatile Carrier[] table = new Carrier[64];
    /** For threads whose slot another live thread holds in a table at its largest. */
    private final ThreadLocal<Carrier> overflow = new ThreadLocal<>();

    BufferRecycler(NativeAllocator memory) {
        this.memory = memory;
    }

    /** The first slot of the set that {@code address} maps to. */
    private static int set(long address) {
        return (int) ((address * 0x9E3779B97F4A7C15L) >>> (64 - SET_BITS)) * WAYS;
    }

    /** The calling thread's carrier, or null on a virtual thread. */
    Carrier carrier() {
        Thread thread = Thread.currentThread();
        Carrier[] slots = table;
        Carrier carrier = slots[(int) thread.threadId() & (slots.length - 1)];
        return carrier != null && carrier.owner == thread ? carrier : carrierSlow(thread);
    }

    private Carrier carrierSlow(Thread thread) {
        if (thread.isVirtual()) {
            return null;
        }
        Carrier carrier = overflow.get();
        if (carrier != null) {
            return carrier;
        }
        carrier = new Carrier(thread, memory.threadCache());
        synchronized (this) {
            Carrier[] slots = table;
            while (true) {
                int slot = (int) thread.threadId() & (slots.length - 1);
                Carrier held = slots[slot];
                if (held == null || !held.owner.isAlive()) {
                    // A plain store: a Carrier's final fields are safe to read through a race, and
                    // a thread that misses the store takes this slow path and the lock.
                    slots[slot] = carrier;
                    return carrier;
                }
                if (slots.length == MAX_SLOTS) {
                    overflow.set(carrier);
                    return carrier;
                }
                slots = grow(slots);
                table = slots;
            }
        }
    }

    /** The carrier table's length; for tests. */
    int tableLength() {
        return table.length;
    }

    /** A table twice the size with the live threads' carriers; ended threads' are dropped. */
    private static Carrier[] grow(Carrier[] slots) {
        Carrier[] grown = new Carrier[slots.length * 2];
        for (Carrier c : slots) {
            if (c != null && c.owner.isAlive()) {
                grown[(int) c.owner.threadId() & (grown.length - 1)] = c;
            }
        }
        return grown;
    }
}
