package io.segpool.allocator;

/**
 * Whether an allocator is open: set once by {@code close()} and read by every slow path before it
 * changes shared state (a refill, a spill, a large block, a stripe, a trim). Its own small type so
 * that the rooms which must refuse work after close hold this, not the allocator. The hot path
 * never reads it: a ring hit after close fails on the heap segment's closed scope instead.
 */
final class Liveness {

    private volatile boolean closed;

    /** Throws the closed refusal once {@link #close()} has begun. */
    void check() {
        if (closed) {
            throw Refusals.closed();
        }
    }

    boolean isOpen() {
        return !closed;
    }

    void close() {
        closed = true;
    }
}
