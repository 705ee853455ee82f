package io.segpool.allocator;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Set;

/**
 * Debug mode's trap for writes after free, as the Go runtime's {@code stackDebug} clobbers freed
 * stacks: a freed block is filled with {@link AllocatorConfig#POISON} and the free's stack trace is
 * kept; when the block is handed out again, any byte that is no longer poison was written by
 * someone who still held the block after freeing it. The bug then surfaces at the next
 * allocation of that block, naming where it was freed, instead of as corruption far away.
 *
 * <p>Only called when {@link AllocatorConfig#debug()} is on, and only for class blocks (large
 * blocks go back to the OS on free). Runs on the thread that owns the block at that moment, under
 * the same hand-off that orders the chunk's per-block state.
 */
final class Poison {

    /** A run of poison words that fills and checks copy from, block by block. */
    private static final long RUN = 64 * 1024;
    private static final MemorySegment PATTERN = pattern();
    /** Frames of the allocator itself, skipped to find the caller that freed a block. */
    private static final Set<String> INTERNAL = Set.of(NativeAllocator.class.getName(),
            ThreadCache.class.getName(), Poison.class.getName());

    private Poison() {
    }

    private static MemorySegment pattern() {
        MemorySegment run = Arena.global().allocate(RUN, Long.BYTES);
        for (long offset = 0; offset < RUN; offset += Long.BYTES) {
            run.set(ValueLayout.JAVA_LONG, offset, AllocatorConfig.POISON);
        }
        return run;
    }

    /** Fills the freed block at {@code index} with poison and remembers who freed it. */
    static void fill(Chunk chunk, int index) {
        MemorySegment block = chunk.memory.asSlice(index * chunk.blockSize, chunk.blockSize);
        for (long offset = 0; offset < chunk.blockSize; offset += RUN) {
            MemorySegment.copy(PATTERN, 0, block, offset, Math.min(RUN, chunk.blockSize - offset));
        }
        chunk.freedAt[index] = new Throwable("block 0x" + Long.toHexString(block.address()) + " freed here, by "
                + Thread.currentThread());
    }

    /**
     * Checks that the block at {@code index}, about to be handed out with {@code size} bytes, is
     * still all poison if it was ever freed. A block written after its free is kept out of use
     * (marked handed out, so it stays counted in {@code Inuse} and never circulates again) and
     * reported with {@link IllegalStateException}.
     */
    static void check(Chunk chunk, int index, long size) {
        Throwable freedAt = chunk.freedAt[index];
        if (freedAt == null) {
            return; // never freed: fresh from the OS
        }
        chunk.freedAt[index] = null;
        MemorySegment block = chunk.memory.asSlice(index * chunk.blockSize, chunk.blockSize);
        for (long offset = 0; offset < chunk.blockSize; offset += RUN) {
            long length = Math.min(RUN, chunk.blockSize - offset);
            long mismatch = MemorySegment.mismatch(PATTERN, 0, length, block, offset, offset + length);
            if (mismatch >= 0) {
                chunk.markHandedOut(index, size);
                throw writeAfterFree(chunk, block, offset + mismatch, freedAt);
            }
        }
    }

    private static IllegalStateException writeAfterFree(Chunk chunk, MemorySegment block, long offset,
                                                        Throwable freedAt) {
        long word = offset & -Long.BYTES;
        IllegalStateException error = new IllegalStateException("write after free: block 0x"
                + Long.toHexString(block.address()) + " of the " + chunk.blockSize + "-byte size class was changed at"
                + " byte " + offset + " after it was freed (the word at " + word + " reads 0x"
                + Long.toHexString(block.get(ValueLayout.JAVA_LONG, word)) + ", poison is 0x"
                + Long.toHexString(AllocatorConfig.POISON) + "); it was freed at " + caller(freedAt)
                + " (the cause holds the whole trace); the block is kept out of use");
        error.initCause(freedAt);
        return error;
    }

    /** The first frame of a free's trace outside the allocator: the code that called free. */
    private static String caller(Throwable freedAt) {
        for (StackTraceElement frame : freedAt.getStackTrace()) {
            if (!INTERNAL.contains(frame.getClassName())) {
                return frame.toString();
            }
        }
        return "an unknown frame";
    }
}
