package io.segpool.netty;

/**
 * Released buffer objects kept per platform thread for the next allocation on that thread, so
 * that an allocate/release pair makes no garbage. Netty's own {@code io.netty.util.Recycler} pools
 * only on Netty's {@code FastThreadLocalThread}s since 4.2; this one pools on every platform
 * thread, whichever made the buffer: a buffer released on another thread joins that thread's
 * stack, up to {@link #CAPACITY}, and past it is left to the GC. Virtual threads keep no stack
 * (there may be millions, each living briefly): they allocate new buffer objects.
 */
final class BufferRecycler {

    /** The most released buffer objects one thread keeps. */
    static final int CAPACITY = 256;

    private static final class Stack {
        final SegpoolByteBuf[] items = new SegpoolByteBuf[CAPACITY];
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
}
