package io.segpool.jcstress;

import io.segpool.allocator.NativeAllocator;

import java.util.Arrays;

/**
 * A deliberately broken imitation of the allocator's central stack ({@code CentralStack}): the same batch push and pop and the
 * same carving of new batches, without the monitor. It exists only so that
 * {@link UnsynchronizedStackBroken} can show that the shape of {@link CentralStackRace} catches a
 * racy stack. Addresses are made up (16-byte steps from {@link #BASE}); no memory is behind them.
 */
final class RacyStack {

    static final long BASE = 0x1000;
    static final long STEP = 16;

    long[] blocks = new long[4 * NativeAllocator.MAX_BATCH];
    int count;
    /** Blocks made so far: the next carve starts at {@code BASE + carved * STEP}. */
    int carved;

    void spill(long[] slots, int start) {
        int mask = slots.length - 1;
        for (int i = 0; i < NativeAllocator.MAX_BATCH; i++) {
            blocks[count++] = slots[(start + i) & mask];
        }
    }

    void refill(long[] slots, int start) {
        if (count < NativeAllocator.MAX_BATCH) {
            for (int i = NativeAllocator.MAX_BATCH - 1; i >= 0; i--) {
                blocks[count++] = BASE + (carved + i) * STEP;
            }
            carved += NativeAllocator.MAX_BATCH;
        }
        int mask = slots.length - 1;
        for (int i = 0; i < NativeAllocator.MAX_BATCH; i++) {
            slots[(start + i) & mask] = blocks[--count];
        }
    }

    long[] stacked() {
        return Arrays.copyOf(blocks, Math.max(0, Math.min(count, blocks.length)));
    }
}
