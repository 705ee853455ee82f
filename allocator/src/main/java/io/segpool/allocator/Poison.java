package io.segpool.allocator;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;

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
            ThreadCache.class.getName(), Poison.class.getName(), BlockChecks.class.getName(),
            RingCache.class.getName());

    private static MemorySegment pattern() {
        MemorySegment run = Arena.global().allocate(RUN, Long.BYTES);
        for (long offset = 0; offset < RUN; offset += Long.BYTES) {
            run.set(ValueLayout.JAVA_LONG, offset, AllocatorConfig.POISON);
        }
        return run;
    }

    /** Where each poisoned block was freed, by heap offset; removed when the block is handed out again. */
    private final ConcurrentSkipListMap<Long, Throwable> freedAt = new ConcurrentSkipListMap<>();

    /**
     * Forgets the blocks of a chunk given back to the OS: its pages read zeros now, and whatever
     * is carved there next is fresh memory, not a freed block to check.
     */
    void forget(long offset, long length) {
        freedAt.subMap(offset, offset + length).clear();
    }

    /** Fills the freed block at heap {@code offset} with poison and remembers who freed it. */
    void fill(Heap heap, long offset, long blockSize) {
        MemorySegment block = heap.all.asSlice(offset, blockSize);
        for (long at = 0; at < blockSize; at += RUN) {
            MemorySegment.copy(PATTERN, 0, block, at, Math.min(RUN, blockSize - at));
        }
        freedAt.put(offset, new Throwable("block 0x" + Long.toHexString(block.address()) + " freed here, by "
                + Thread.currentThread()));
    }

    /**
     * Checks that the block at {@code offset}, about to be handed out, is still all poison if it was
     * ever freed. Returns the {@link IllegalStateException} to throw for a block written after its
     * free (the caller keeps it out of use: marked handed out, so it stays counted in {@code Inuse}
     * and never circulates again), or null.
     */
    IllegalStateException check(Heap heap, long offset, long blockSize) {
        Throwable freed = freedAt.remove(offset);
        if (freed == null) {
            return null; // never freed: fresh from the OS
        }
        MemorySegment block = heap.all.asSlice(offset, blockSize);
        for (long at = 0; at < blockSize; at += RUN) {
            long length = Math.min(RUN, blockSize - at);
            long mismatch = MemorySegment.mismatch(PATTERN, 0, length, block, at, at + length);
            if (mismatch >= 0) {
                return writeAfterFree(blockSize, block, at + mismatch, freed);
            }
        }
        return null;
    }

    private static IllegalStateException writeAfterFree(long blockSize, MemorySegment block, long offset,
                                                        Throwable freedAt) {
        long word = offset & -Long.BYTES;
        IllegalStateException error = new IllegalStateException("write after free: block 0x"
                + Long.toHexString(block.address()) + " of the " + blockSize + "-byte size class was changed at"
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
