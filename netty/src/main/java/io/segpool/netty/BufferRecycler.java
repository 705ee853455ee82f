package io.segpool.netty;

import java.lang.foreign.MemorySegment;

/**
 * Per platform thread: released buffer objects for the next allocation on that thread, and the
 * segments of the blocks it used last, so that neither an allocate/release pair nor a buffer
 * grown block by block makes garbage once the thread's ring cache hands the same blocks back.
 * Netty's own {@code io.netty.util.Recycler} pools only on Netty's {@code FastThreadLocalThread}s
 * since 4.2; this one pools on every platform thread, whichever made the buffer: a buffer
 * released on another thread joins that thread's stack, up to {@link #CAPACITY}, and past it is
 * left to the GC. Virtual threads keep nothing (there may be millions, each living briefly): they
 * allocate new buffer objects and segments.
 */
final class BufferRecycler {

    /** The most released buffer objects one thread keeps. */
    static final int CAPACITY = 256;
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

    private static final class Stack {
        final SegpoolByteBuf[] items = new SegpoolByteBuf[CAPACITY];
        final MemorySegment[] segments = new MemorySegment[SEGMENT_SLOTS];
        int size;
        /** The next way to evict, turning, so that a full set drops its entries in turn. */
        int victim;
    }

    private final ThreadLocal<Stack> stacks = ThreadLocal.withInitial(Stack::new);

    /** A released buffer object of the calling thread's, or a new one. */
    SegpoolByteBuf get() {
        if (Thread.currentThread().isVirtual()) {
            return new SegpoolByteBuf();
        }
        Stack stack = stacks.get();
        int n = stack.size;
        if (n == 0) {
            return new SegpoolByteBuf();
        }
        SegpoolByteBuf buf = stack.items[--n];
        stack.items[n] = null;
        stack.size = n;
        return buf;
    }

    /** Keeps {@code buf}, just released, for the calling thread's next allocation. */
    void recycle(SegpoolByteBuf buf) {
        if (Thread.currentThread().isVirtual()) {
            return;
        }
        Stack stack = stacks.get();
        int n = stack.size;
        if (n < CAPACITY) {
            stack.items[n] = buf;
            stack.size = n + 1;
        }
    }

    /** The first slot of the set that {@code address} maps to. */
    private static int set(long address) {
        return (int) ((address * 0x9E3779B97F4A7C15L) >>> (64 - SET_BITS)) * WAYS;
    }

    /** The calling thread's cached segment of exactly {@code bytes} at {@code address}, or null. */
    MemorySegment cachedSegment(long address, long bytes) {
        if (Thread.currentThread().isVirtual()) {
            return null;
        }
        MemorySegment[] segments = stacks.get().segments;
        int first = set(address);
        for (int i = first; i < first + WAYS; i++) {
            MemorySegment cached = segments[i];
            if (cached != null && cached.address() == address && cached.byteSize() == bytes) {
                return cached;
            }
        }
        return null;
    }

    /** Remembers {@code segment}, a class block's, for the calling thread: in a free way of its set, else in turn. */
    void cacheSegment(MemorySegment segment) {
        if (Thread.currentThread().isVirtual()) {
            return;
        }
        Stack stack = stacks.get();
        MemorySegment[] segments = stack.segments;
        int first = set(segment.address());
        for (int i = first; i < first + WAYS; i++) {
            if (segments[i] == null) {
                segments[i] = segment;
                return;
            }
        }
        int way = stack.victim;
        stack.victim = (way + 1) & (WAYS - 1);
        segments[first + way] = segment;
    }
}
