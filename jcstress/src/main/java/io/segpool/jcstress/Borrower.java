package io.segpool.jcstress;

import io.segpool.allocator.NativeAllocator;
import io.segpool.allocator.ThreadCache;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * One virtual thread of {@link DeadBorrowReclaimRace}: it borrows a cache
 * ({@link NativeAllocator#borrowCache()}), allocates a ring's capacity and one more block through
 * it (the last one refills), stamps each block with a value that only this borrower writes, frees
 * every other one (back into the borrowed ring), checks the stamps of the rest, and then either
 * closes the borrow or ends without closing it, leaving the stripe to whoever reclaims it.
 *
 * <p>The fields are written by the virtual thread and read by others only after a join that saw it
 * end (JLS 17.4.4), or after {@link #borrowed} for {@link #stripe}.
 */
final class Borrower implements Runnable {

    private static final ValueLayout.OfLong STAMP = ValueLayout.JAVA_LONG_UNALIGNED;

    private final NativeAllocator allocator;
    private final SizeCase sizes;
    private final long salt;
    private final boolean closes;
    /** The gate the borrower waits at before it borrows, or null. */
    private final StartGate gate;
    /** The cache the borrow returned: a stripe, compared by identity. */
    ThreadCache stripe;
    /** The blocks still held when the thread ended. */
    MemorySegment[] kept = new MemorySegment[0];
    /** Stamps the thread's own check, just before it ended, found overwritten. */
    int stampErrors;
    /** 1 if the thread threw. */
    int threw;
    Thread thread;

    Borrower(NativeAllocator allocator, SizeCase sizes, int id, boolean closes, StartGate gate) {
        this.allocator = allocator;
        this.sizes = sizes;
        this.salt = 0x9E37_79B9_7F4A_7C15L * (id + 1);
        this.closes = closes;
        this.gate = gate;
    }

    /** Starts the virtual thread. */
    Borrower start() {
        thread = Thread.ofVirtual().start(this);
        return this;
    }

    @Override
    public void run() {
        if (gate != null) {
            gate.arriveAndAwait();
        }
        try {
            ThreadCache cache = allocator.borrowCache();
            stripe = cache;
            MemorySegment[] got = new MemorySegment[sizes.capacity() + 1];
            for (int i = 0; i < got.length; i++) {
                got[i] = cache.allocate(sizes.size());
                stamp(got[i]);
            }
            MemorySegment[] keep = new MemorySegment[got.length / 2];
            for (int i = 0; i < got.length; i++) {
                if (i % 2 == 0) {
                    cache.free(got[i]);
                } else {
                    keep[i / 2] = got[i];
                }
            }
            kept = keep;
            stampErrors = brokenStamps();
            if (closes) {
                cache.close();
            }
        } catch (RuntimeException e) {
            threw = 1;
        }
    }

    private void stamp(MemorySegment block) {
        long value = block.address() ^ salt;
        block.set(STAMP, 0, value);
        block.set(STAMP, block.byteSize() - 8, ~value);
    }

    /** Blocks in {@link #kept} whose stamp another thread overwrote. */
    int brokenStamps() {
        int broken = 0;
        for (MemorySegment block : kept) {
            long value = block.address() ^ salt;
            if (block.get(STAMP, 0) != value || block.get(STAMP, block.byteSize() - 8) != ~value) {
                broken++;
            }
        }
        return broken;
    }

    /** The addresses of {@link #kept}. */
    long[] addresses() {
        return Arrays.stream(kept).mapToLong(MemorySegment::address).toArray();
    }
}
