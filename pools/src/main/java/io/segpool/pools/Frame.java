package io.segpool.pools;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;

/**
 * One open frame of a {@link SegmentedStack}: allocations bump inside the stack's current segment
 * and all of them end when the frame closes. Use with try-with-resources:
 *
 * <pre>{@code
 * try (Frame frame = stack.push()) {
 *     MemorySegment buffer = frame.allocate(1024);
 *     ...
 * }
 * }</pre>
 *
 * <p><b>A frame is not an {@link java.lang.foreign.Arena}: closing it invalidates nothing.</b> Its
 * segments are slices of the pool's memory, which stays mapped until the pool closes, so a
 * segment (or address) kept past its frame's close still reads and writes: it reads, and
 * corrupts, the bytes of the next frame that bumps over the same place. A confined arena per
 * frame would make a stale segment throw, at the price of a scope per push. Keep a frame's
 * segments inside its try block; to catch one that escapes, run the pool in debug mode
 * ({@code StackPool.create(StackPool.defaultConfig().withDebug(true))}): a frame's close then
 * fills the bytes it used with {@link io.segpool.allocator.AllocatorConfig#POISON}, so a stale
 * read sees {@code 0xDEADBEEF}, and the next allocation over them throws
 * {@link IllegalStateException} if any was written since.
 *
 * <p>A frame is a small heap object, and so is each segment {@link #allocate(long)} returns:
 * escape analysis removes both where the JIT inlines the push, the frame's calls and its close
 * into one compiled method, and not where it does not (the frame then escapes as the receiver of
 * a call, one object per push). The loops that must make no garbage whatever the JIT decides use
 * {@link #allocateAddress(long)} and a defer scope's one-word defers.
 *
 * <p>Segments from a frame are not zeroed. Only the innermost open frame may allocate or close;
 * a closed frame refuses every allocation, and closing it again does nothing, as every close in
 * segpool. Only the stack's thread may use it: another thread gets {@link WrongThreadException}.
 * After the pool's close no allocation hands out an address or a segment (the memory is
 * unmapped): each throws {@link IllegalStateException}, while a close still completes.
 */
public final class Frame implements SegmentAllocator, AutoCloseable {

    private final SegmentedStack stack;
    private final long token;
    private final int depth;

    Frame(SegmentedStack stack, long token, int depth) {
        this.stack = stack;
        this.token = token;
        this.depth = depth;
    }

    /**
     * Allocates {@code size} bytes, 16-byte aligned, to be used until this frame closes (the
     * segment stays accessible afterwards: see the class comment).
     *
     * @param size the bytes wanted, 0 or more
     * @return a segment of {@code size} bytes, not zeroed
     * @throws IllegalArgumentException if {@code size} is negative or larger than the allocator's
     *         largest block
     * @throws IllegalStateException if this frame is closed or is not the innermost open frame, or
     *         the pool is closed, or (debug mode) a closed frame's bytes here were written
     * @throws io.segpool.allocator.MemoryLimitException if a new segment or block would take the
     *         pool past its memory limit
     * @throws WrongThreadException if the calling thread is not the stack's owner
     */
    @Override
    public MemorySegment allocate(long size) {
        return allocate(size, SegmentedStack.DEFAULT_ALIGNMENT);
    }

    /**
     * Allocates {@code size} bytes on an {@code alignment} boundary, to be used until this frame
     * closes (the segment stays accessible afterwards: see the class comment).
     *
     * @param size the bytes wanted, 0 or more
     * @param alignment a power of two, up to the allocator's largest alignment
     * @return a segment of {@code size} bytes, not zeroed
     * @throws IllegalArgumentException if {@code size} is negative or larger than the allocator's
     *         largest block, or {@code alignment} is not a power of two or above the largest
     * @throws IllegalStateException if this frame is closed or is not the innermost open frame, or
     *         the pool is closed, or (debug mode) a closed frame's bytes here were written
     * @throws io.segpool.allocator.MemoryLimitException if a new segment or block would take the
     *         pool past its memory limit
     * @throws WrongThreadException if the calling thread is not the stack's owner
     */
    @Override
    public MemorySegment allocate(long size, long alignment) {
        // The address first, then the slice: see SegmentedStack.sliceAt.
        long address = stack.allocateAddress(token, depth, size, alignment);
        return stack.sliceAt(address, size);
    }

    /**
     * Allocates {@code size} bytes, 16-byte aligned, to be used until this frame closes, and
     * returns their address with no segment object: for the tightest loops.
     *
     * @param size the bytes wanted, 0 or more
     * @return the address of the first byte, always in mapped memory
     * @throws IllegalArgumentException if {@code size} is negative or larger than the allocator's
     *         largest block
     * @throws IllegalStateException if this frame is closed or is not the innermost open frame, or
     *         the pool is closed (an address over its unmapped memory would crash native code), or
     *         (debug mode) a closed frame's bytes here were written
     * @throws io.segpool.allocator.MemoryLimitException if a new segment or block would take the
     *         pool past its memory limit
     * @throws WrongThreadException if the calling thread is not the stack's owner
     */
    public long allocateAddress(long size) {
        return stack.allocateAddress(token, depth, size, SegmentedStack.DEFAULT_ALIGNMENT);
    }

    /** {@return true until this frame closes (or its stack does)} */
    public boolean isOpen() {
        return stack.isOpen(token, depth);
    }

    /** {@return the depth of this frame in its stack, 1 for the outermost} */
    public int depth() {
        return depth;
    }

    /**
     * Rewinds the stack to where this frame began; emptied segments go back to the pool. The
     * frame's segments stay accessible (see the class comment); in debug mode the bytes it used
     * are poisoned. The close completes even if the pool refuses a block back (that refusal is
     * thrown afterwards), and after the pool's close, when the memory went back with it.
     * Idempotent, as every close in segpool: closing a closed frame (closed by itself or by its
     * stack's close) does nothing.
     *
     * @throws IllegalStateException if this frame is open but not the innermost open frame (it
     *         stays open), or the pool refused a block back (the frame is closed all the same)
     * @throws WrongThreadException if the calling thread is not the stack's owner
     */
    @Override
    public void close() {
        stack.pop(token, depth);
    }
}
