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
    /** Slots of the per-thread segment cache, direct-mapped by block address. */
    private static final int SEGMENT_SLOTS = 128;

    private static final class Stack {
        final SegpoolByteBuf[] items = new SegpoolByteBuf[CAPACITY];
        final MemorySegment[] segments = new MemorySegment[SEGMENT_SLOTS];
        int size;
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

    private static int slot(long address) {
        return (int) (address >>> 4 ^ address >>> 12) & (SEGMENT_SLOTS - 1);
    }

    /** The calling thread's cached segment of exactly {@code bytes} at {@code address}, or null. */
    MemorySegment cachedSegment(long address, long bytes) {
        if (Thread.currentThread().isVirtual()) {
            return null;
        }
        MemorySegment cached = stacks.get().segments[slot(address)];
        return cached != null && cached.address() == address && cached.byteSize() == bytes ? cached : null;
    }

    /** Remembers {@code segment}, a class block's, for the calling thread. */
    void cacheSegment(MemorySegment segment) {
        if (!Thread.currentThread().isVirtual()) {
            stacks.get().segments[slot(segment.address())] = segment;
        }
    }
}
