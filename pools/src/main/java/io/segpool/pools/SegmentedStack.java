package io.segpool.pools;

import io.segpool.allocator.NativeAllocator;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Arrays;

/**
 * One thread's stack of frames on stack segments: the Java counterpart of a goroutine's segmented
 * stack. {@link #push()} opens a {@link Frame}; allocations in the innermost frame bump a pointer
 * in the current segment; when the rest of the segment is too small the stack takes a new
 * segment from its pool, and when closing a frame empties a segment the stack keeps it for the
 * next frame that needs a segment, or gives it back to the pool when it keeps enough already. An
 * allocation larger than a segment (or aligned beyond a page) gets a block of its own from the
 * pool's allocator, freed when its frame closes.
 *
 * <p>The kept segments are what keep a frame that crosses a segment edge from giving a segment
 * back and taking it again every few frames, and a deep recursion from doing so at every edge on
 * every call (Go keeps a stack cache for the same reason). The stack keeps up to the pool's
 * {@link StackPool#stackCacheBytes()}, 1 MiB by default; they stay allocated and count in the
 * pool's {@code StackInuse}, and go back on the stack's {@link #close()}, on {@link #flush()},
 * and on the pool's {@link StackPool#trim()}, which takes them from any thread. A pool in debug
 * mode keeps none (see {@link #flush()}).
 *
 * <p>A frame is named by its depth and a token: a 64-bit serial, one per push, so that no two
 * frames of a stack share a token for 2^64 pushes (more than 500 years at one push a nanosecond).
 * A frame is usable only while its token is the innermost open frame's, so a closed frame, an
 * outer frame used while an inner one is open, and a frame closed out of order are all refused
 * with {@link IllegalStateException} before any state changes; closing a closed frame does
 * nothing. When the serial wraps, 0 is skipped: it marks a depth with no open frame.
 *
 * <p>The fast path, a frame whose allocations fit in the current segment, reads and writes only
 * plain fields of this object and one record of {@link #frames}: the current segment is held as
 * {@code top}/{@code limit} addresses and a view that allocations slice. Taking and giving back
 * segments and big blocks ({@link SegmentChain}), debug mode's poison ({@link FramePoison}) and
 * every refusal are off that path.
 *
 * <p>Every change either completes or changes nothing: a request the allocator refuses (a memory
 * limit) leaves the frames, the segments and the pool's figures as they were, and a frame close
 * whose give back the allocator refuses still closes the frame and gives back the rest. After the
 * pool's close no call hands out an address or segment over its unmapped memory ({@link
 * IllegalStateException}), and closing frames or the stack only forgets what they held.
 *
 * <p>Single-threaded by design, like a goroutine's stack: only the thread that made the stack may
 * use it or its frames; any other thread gets {@link WrongThreadException}, as a confined
 * {@link java.lang.foreign.Arena}'s segment throws. All fields are plain and owned by that thread.
 */
public final class SegmentedStack implements AutoCloseable {

    /** The deepest a stack may grow, in frames. */
    public static final int MAX_DEPTH = (1 << 24) - 1;
    /** Alignment of {@link Frame#allocate(long)}, as the allocator's. */
    static final long DEFAULT_ALIGNMENT = 16;

    /** A frame's record in {@link #frames}: where to rewind to when it closes, and its token. */
    private static final int SAVED_TOP = 0;
    private static final int SAVED_COUNTS = 1;
    private static final int TOKEN = 2;
    private static final int STRIDE = 3;
    /**
     * {@link #top} while the stack holds no segment: past {@link #limit} 0, so that every request
     * misses the bump and takes a segment.
     */
    private static final long NO_SEGMENT = StackPool.PAGE;
    private static final String WHAT = "a SegmentedStack";
    /** {@link #allocateSlow}, for {@link #slowAllocate}. */
    private static final MethodHandle ALLOCATE_SLOW;

    static {
        try {
            ALLOCATE_SLOW = MethodHandles.lookup().findVirtual(SegmentedStack.class, "allocateSlow",
                    MethodType.methodType(long.class, long.class, long.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    private static final String HINT = " (the thread that made it is the only one that may use it or its frames)";

    private final StackPool pool;
    private final NativeAllocator allocator;
    private final long segmentSize;
    private final Thread owner;
    private final SegmentChain chain;
    /** This stack's entry in the pool's registry of kept segments, which it leaves at its close. */
    private final SpareRegistry.Entry registered;
    /** Debug mode's poison of closed frames' bytes; null when the pool is not in debug mode. */
    private final FramePoison poison;
    /**
     * The slow path of a bump, called through a method handle held in an instance field: to the
     * JIT a final instance field is not a constant, so this call is never inlined. That keeps the
     * compiled {@link Frame#allocate} small whichever method C2 compiles first: inlined, the slow
     * path (the segment cache, its VarHandle swaps, the views) made a standalone
     * {@code Frame.allocate} over 4 KB of code, which C2 then refuses to inline into its caller
     * ("already compiled into a big method", above {@code InlineSmallCode}, 2500 bytes), so the
     * frame and its slice escaped: 72 B a call in a frame that crosses a segment edge on every
     * call. The hop costs a few nanoseconds, only when a request misses the bump. A close's slow
     * path ({@link #rewindFrame}) is a plain call: {@code Frame.close} stayed inlined without it.
     */
    private final MethodHandle allocateSlowHandle = ALLOCATE_SLOW;

    /** Address of the next free byte of the current segment; {@link #NO_SEGMENT} when none. */
    private long top = NO_SEGMENT;
    /** The fast path's bound: {@link #end}, or 0 in debug mode, which sends every bump to the slow path. */
    private long limit;
    /** Address just past the current segment; 0 when none. */
    private long end;
    /** Address of the current segment; 0 when none. */
    private long base;
    /** The view of the current segment, which allocations slice; null when none. */
    private MemorySegment current;
    /** {@code current}'s scope, the allocator's heap's: alive until the pool closes. Null when none. */
    private MemorySegment.Scope heap;
    /** The innermost open frame's token; 0 when no frame is open (no token is 0). */
    private long innermost;
    /** {@link SegmentChain#counts()}, as a frame's record saves it; set wherever it changes. */
    private long counts;

    /** {@link #STRIDE} longs per depth (1-based; depth 0's token stays 0): see {@link #SAVED_TOP}. */
    private long[] frames = new long[16 * STRIDE];
    private int depth;
    /** The token of the next push; never 0 when used ({@link #pushToken()} skips it). */
    private long nextSerial = 1;
    private boolean closed;

    SegmentedStack(StackPool pool, NativeAllocator allocator) {
        this.pool = pool;
        this.allocator = allocator;
        this.segmentSize = pool.segmentSize();
        this.owner = Thread.currentThread();
        this.chain = new SegmentChain(pool, allocator, owner);
        this.registered = chain.spare() != null ? pool.spares().register(this, chain.spare()) : null;
        this.poison = allocator.config().debug() ? new FramePoison() : null;
    }

    /**
     * Opens a frame on top of the stack.
     *
     * @return the new innermost frame; close it to rewind the stack
     * @throws IllegalStateException if the stack is closed, or {@link #MAX_DEPTH} frames are open
     * @throws WrongThreadException if the calling thread is not the stack's owner
     */
    public Frame push() {
        long token = pushToken();
        return new Frame(this, token, depth);
    }

    /**
     * {@return the number of open frames}
     *
     * @throws IllegalStateException if the stack is closed
     * @throws WrongThreadException if the calling thread is not the stack's owner
     */
    public int depth() {
        checkUsable();
        return depth;
    }

    /**
     * {@return the number of segments this stack's frames hold now} The segments the stack keeps
     * for later frames are not counted: they hold no frame.
     *
     * @throws IllegalStateException if the stack is closed
     * @throws WrongThreadException if the calling thread is not the stack's owner
     */
    public int segmentsHeld() {
        checkUsable();
        return chain.segmentCount();
    }

    /**
     * Gives the segments the stack keeps back to the pool: for a thread about to idle with a stack
     * it keeps open. Its next frames to need a segment take them from the pool instead. A pool in
     * debug mode keeps none, so that a segment a frame's close empties goes back to the
     * allocator, whose poison check catches a write through a closed frame's segment when the
     * segment is handed out again. After the pool's close the memory went back with the pool, and
     * the kept segments are only forgotten.
     *
     * @return the bytes given back: a segment's per kept segment, 0 when none was kept
     * @throws IllegalStateException if the stack is closed, or the pool refused a segment back (the
     *         others went back all the same)
     * @throws WrongThreadException if the calling thread is not the stack's owner
     */
    public long flush() {
        checkUsable();
        return chain.flushSpare(allocator.isOpen(), segmentSize);
    }

    /** {@return whether this stack keeps a segment now; for tests in this package} */
    boolean hasSpare() {
        return chain.segmentsKept() > 0;
    }

    /** {@return how many segments this stack keeps now; for tests in this package} */
    int segmentsKept() {
        return chain.segmentsKept();
    }

    /** {@return the thread that may use this stack and its frames} */
    public Thread owner() {
        return owner;
    }

    /** {@return the pool this stack takes its segments from} */
    public StackPool pool() {
        return pool;
    }

    /**
     * Closes every open frame and gives all the stack's memory back to the pool, its kept
     * segments included. Idempotent, as
     * every close in segpool; any other call after it throws. Every block leaves the stack even if
     * the allocator refuses one (that refusal is thrown afterwards); after the pool's close, the
     * memory went back with the pool, so the stack only forgets it.
     *
     * @throws IllegalStateException if the pool refused a block back (the stack is closed all the same)
     * @throws WrongThreadException if the calling thread is not the stack's owner
     */
    @Override
    public void close() {
        Owner.check(owner, WHAT, HINT);
        if (closed) {
            return;
        }
        Throwable failure = rewind(0, 0);
        try {
            chain.flushSpare(allocator.isOpen(), segmentSize);
        } catch (RuntimeException | Error e) {
            failure = Failures.add(failure, e);
        }
        if (registered != null) {
            pool.spares().leave(registered);
        }
        top = NO_SEGMENT;
        Arrays.fill(frames, 0, (depth + 1) * STRIDE, 0);
        depth = 0;
        innermost = 0;
        closed = true;
        if (failure != null) {
            throw Failures.propagate(failure);
        }
    }

    /** Test seam: the serial the next push takes. */
    void setNextSerial(long serial) {
        nextSerial = serial;
    }

    // ---- the engine, named by frame tokens ----------------------------------------------------

    long pushToken() {
        checkUsable();
        int next = depth + 1;
        int at = next * STRIDE;
        if (at == frames.length) {
            growFrames(next);
        }
        long token = nextSerial++;
        if (token == 0) { // the serial wrapped: 0 is no frame's token
            token = nextSerial++;
        }
        long[] records = frames;
        records[at + SAVED_TOP] = top;
        records[at + SAVED_COUNTS] = counts;
        records[at + TOKEN] = token;
        depth = next;
        innermost = token;
        return token;
    }

    /**
     * The segment over the {@code size} bytes at {@code address}, which {@link #allocateAddress}
     * just handed out: a slice of the current segment or the newest big block. Apart from the
     * allocation, and small, so that it inlines into the caller's {@link Frame#allocate} even where
     * {@code allocateAddress} (its slow path, hot in a frame that crosses a segment edge on every
     * call) is compiled on its own and not inlined: escape analysis then removes the slice in the
     * caller, where a slice made inside {@code allocateAddress} and returned would be a heap object.
     */
    MemorySegment sliceAt(long address, long size) {
        long offset = address - base;
        // A big block is never inside the current segment, so only a bump or a new segment slices it.
        boolean inCurrent = offset >= 0 && offset <= segmentSize - size;
        // One slice made at one site, of whichever segment holds the bytes.
        MemorySegment holder = inCurrent ? current : chain.newestBig();
        return holder.asSlice(inCurrent ? offset : 0, size);
    }

    /** Bump-allocates {@code size} bytes in the frame named by {@code token}; returns the address. */
    long allocateAddress(long token, int frameDepth, long size, long alignment) {
        checkInnermost(token, frameDepth, "allocate in");
        FrameRefusals.checkRequest(size, alignment);
        long aligned = (top + alignment - 1) & -alignment;
        // After the pool's close the current segment is unmapped, and nothing can reset this stack's
        // fields (another thread closed the pool, and the pool does not know its stacks): the bump
        // itself must see it. The heap scope's liveness is the allocator's own close flag (the
        // arena it closes), two loads of fields that a bump loop keeps in cache, where a flag of
        // our own read only on the slow path would not do: the bump path reaches unmapped memory.
        if (alignment <= StackPool.PAGE && size <= limit - aligned && heap.isAlive()) {
            top = aligned + size;
            return aligned;
        }
        return slowAllocate(size, alignment);
    }

    /** {@link #allocateSlow}, never inlined: see {@link #allocateSlowHandle}. */
    private long slowAllocate(long size, long alignment) {
        try {
            return (long) allocateSlowHandle.invokeExact(this, size, alignment);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("the slow path throws only unchecked exceptions", t);
        }
    }


    /**
     * Closes the frame named by {@code token}: it must be the innermost open frame, or closed
     * already (then nothing happens). The close completes even if the allocator refuses to take
     * back a block (which is thrown afterwards), so that no open frame is left bumping into a
     * segment the stack gave back.
     */
    void pop(long token, int frameDepth) {
        Owner.check(owner, WHAT, HINT);
        if (token != innermost) {
            if (!isOpen(token, frameDepth)) {
                return; // closed already, by its own close or its stack's: closing again does nothing
            }
            throw refusal(token, frameDepth, "close");
        }
        long[] records = frames;
        int at = depth * STRIDE;
        long saved = records[at + SAVED_COUNTS];
        long savedTop = records[at + SAVED_TOP];
        Throwable failure = saved != counts || poison != null ? rewindFrame(saved, savedTop) : null;
        top = savedTop;
        records[at + TOKEN] = 0;
        innermost = records[at - STRIDE + TOKEN];
        depth--;
        if (failure != null) {
            throw Failures.propagate(failure);
        }
    }

    boolean isOpen(long token, int frameDepth) {
        return !closed && frameDepth <= depth && frames[frameDepth * STRIDE + TOKEN] == token;
    }

    /**
     * A request the fast path left: in debug mode a bump that fits, checked against poison; else a
     * new segment if one can hold it, else a block of its own. Changes nothing if the allocator
     * refuses or is closed: every array grows before anything is taken.
     */
    private long allocateSlow(long size, long alignment) {
        if (!allocator.isOpen()) {
            throw StackPool.closed(null);
        }
        if (alignment > StackPool.PAGE || size > segmentSize) {
            long address = chain.allocateBig(size, Math.max(alignment, DEFAULT_ALIGNMENT));
            counts++;
            return address;
        }
        long aligned = (top + alignment - 1) & -alignment;
        if (poison != null && size <= end - aligned) { // debug mode's fast path sends every bump here
            poison.checkBump(current, base, top, aligned + size);
            top = aligned + size;
            return aligned;
        }
        MemorySegment view = chain.take();
        counts += 1L << 32;
        enter(view);
        if (poison != null) {
            poison.forget(base);
        }
        top = base + size;
        return base;
    }

    /**
     * The slow part of a frame's close: gives back what the frame took, and in debug mode poisons
     * the bytes it used in the segment left current: up to where it bumped, or, when it went on
     * into newer segments (where it stopped in this one is not kept), to the segment's end.
     */
    private Throwable rewindFrame(long saved, long savedTop) {
        long poppedTop = top;
        long poppedBase = base;
        Throwable failure = saved != counts ? rewind((int) (saved >>> 32), (int) saved) : null;
        if (poison != null && current != null && heap.isAlive()) {
            boolean sameSegment = base == poppedBase;
            poison.frameClosed(current, base, savedTop, sameSegment ? poppedTop : end, sameSegment);
        }
        return failure;
    }

    /**
     * Gives back the big blocks and the segments above a saved position, newest first, and makes
     * the newest one left current; the caller sets {@link #top}. Every one leaves the stack even if
     * the allocator refuses one; returns what it threw, or null. After the pool's close they are
     * only forgotten: their memory went back with the pool.
     */
    private Throwable rewind(int keepSegments, int keepBig) {
        Throwable failure = chain.rewind(keepSegments, keepBig, allocator.isOpen());
        counts = chain.counts();
        MemorySegment newest = chain.newest();
        if (newest != null) {
            if (newest.address() != base) {
                enter(newest);
            }
        } else {
            current = null;
            heap = null;
            base = 0;
            end = 0;
            limit = 0;
        }
        return failure;
    }

    /** Makes {@code view}'s segment the current one; the caller sets {@link #top}. */
    private void enter(MemorySegment view) {
        current = view;
        heap = view.scope();
        base = view.address();
        end = base + segmentSize;
        limit = poison != null ? 0 : end;
    }

    /** Makes room for the record of depth {@code next}, or refuses a push beyond {@link #MAX_DEPTH}. */
    private void growFrames(int next) {
        if (next > MAX_DEPTH) {
            throw FrameRefusals.overflow();
        }
        frames = Arrays.copyOf(frames, Math.min(next * 2, MAX_DEPTH + 1) * STRIDE);
    }

    // ---- checks: each throws before anything changes ------------------------------------------

    private void checkInnermost(long token, int frameDepth, String action) {
        Owner.check(owner, WHAT, HINT);
        if (token != innermost) {
            throw refusal(token, frameDepth, action);
        }
    }

    /** Why {@code token} is not the innermost open frame's: the stack is closed, the frame is, or an inner one is open. */
    private RuntimeException refusal(long token, int frameDepth, String action) {
        checkUsable();
        return FrameRefusals.notInnermost(action, token, frameDepth, !isOpen(token, frameDepth), depth);
    }

    private void checkUsable() {
        Owner.check(owner, WHAT, HINT);
        if (closed) {
            throw new IllegalStateException("this SegmentedStack is closed");
        }
    }
}
