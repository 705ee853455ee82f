package io.segpool.jcstress;

import java.util.Arrays;

/**
 * A deliberately broken imitation of a class's central stack and its trim, on made-up blocks:
 * the trim picks the chunks whose blocks are all on the stack under the monitor, lets go of it
 * while it releases their pages, and takes their blocks off the stack under the monitor again,
 * without looking a second time. A refill in between hands out blocks of a chunk that is being
 * released. It exists only so that {@link TrimRefillBroken} can show that the shape of
 * {@link TrimRefillRace} catches that; the real {@code CentralStack.trim} takes the chunks off
 * the stack in the same locked step that picks them, and releases them afterwards.
 *
 * <p>Blocks are offsets {@code chunk * CHUNK + i * BLOCK}; {@link #memory} stands for their
 * first words (a stamp, or 0 once a release wiped the page, as {@code madvise} does).
 */
final class TwoStepTrimStack {

    static final long BLOCK = 1024;
    static final int PER_CHUNK = 64;
    static final long CHUNK = PER_CHUNK * BLOCK;
    /** Room for the chunks a state carves: three, and one the refill carves after a trim. */
    static final int MAX_CHUNKS = 8;

    /** Each block's first word, by block index; written by the refilling actor and by the release. */
    final long[] memory = new long[MAX_CHUNKS * PER_CHUNK];
    final boolean[] released = new boolean[MAX_CHUNKS];
    private long[] blocks = new long[MAX_CHUNKS * PER_CHUNK];
    private int count;
    private int carved;

    /** Carves a chunk: its blocks go on the stack, the lowest on top. */
    synchronized void carveChunk() {
        int chunk = carved++;
        for (int i = PER_CHUNK - 1; i >= 0; i--) {
            blocks[count++] = chunk * CHUNK + i * BLOCK;
        }
    }

    /** Pops {@code n} blocks into {@code ring}, carving a chunk when short. */
    synchronized void refill(long[] ring, int n) {
        if (count < n) {
            carveChunk();
        }
        for (int i = 0; i < n; i++) {
            ring[i] = blocks[--count];
        }
    }

    /** The broken trim; returns the chunks it released. */
    int trim() {
        int[] free = new int[MAX_CHUNKS];
        int freeCount = 0;
        synchronized (this) {
            int[] onStack = new int[MAX_CHUNKS];
            for (int i = 0; i < count; i++) {
                onStack[chunkOf(blocks[i])]++;
            }
            for (int c = 0; c < carved; c++) {
                if (onStack[c] == PER_CHUNK && !released[c]) {
                    free[freeCount++] = c;
                }
            }
        }
        // The bug: the monitor is let go here, while the pages go back.
        for (int k = 0; k < freeCount; k++) {
            Arrays.fill(memory, free[k] * PER_CHUNK, (free[k] + 1) * PER_CHUNK, 0L);
        }
        synchronized (this) {
            int kept = 0;
            for (int i = 0; i < count; i++) {
                if (!isIn(chunkOf(blocks[i]), free, freeCount)) {
                    blocks[kept++] = blocks[i];
                }
            }
            count = kept;
            for (int k = 0; k < freeCount; k++) {
                released[free[k]] = true;
            }
        }
        return freeCount;
    }

    synchronized long[] stacked() {
        return Arrays.copyOf(blocks, count);
    }

    synchronized int carved() {
        return carved;
    }

    static int chunkOf(long offset) {
        return (int) (offset / CHUNK);
    }

    static int indexOf(long offset) {
        return (int) (offset / BLOCK);
    }

    private static boolean isIn(int chunk, int[] chunks, int n) {
        for (int k = 0; k < n; k++) {
            if (chunks[k] == chunk) {
                return true;
            }
        }
        return false;
    }
}
