package io.segpool.allocator;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;

/**
 * One thread's ring caches of free blocks, one per size class, and the allocator's hot path.
 * Get the calling platform thread's with {@link NativeAllocator#threadCache()} and keep it for the
 * tightest loops (calls through it skip finding the thread's cache), or borrow one for a scope with
 * {@link NativeAllocator#borrowCache()} from any thread, virtual ones included. It belongs to the
 * thread that got it; any other thread is refused.
 *
 * <p>The hot path reads only this object's final fields and one ring: the class comes from the
 * request size (or, on free, from the segment's {@code byteSize()}), the ring is
 * {@code rings[class]}, the block is a heap offset in it, the segment a slice of the allocator's
 * one heap segment, the block's state a table entry found by a shift ({@link BlockState}). No
 * lock, no atomic read-modify-write, no object that escapes. Refill and spill are separate
 * methods: the slow path, where the central stacks' locks are.
 */
public final class ThreadCache implements SegmentAllocator, AutoCloseable {

    /**
     * Ring layout: the count, the ring's limit in blocks ({@link SizeClasses#ringCapacity}: its byte
     * bound; a large ring's grows into its spare slots, see {@link RingCache#putSlow}), the frees into it (counted per call), the blocks that came in and went out in
     * batches (counted on the slow path), then the slots (a stack: the newest block on top).
     * Mallocs are not counted per call: they follow from the others, {@code in - out + frees -
     * count} ({@link RingCache#mallocs}), which saves the hot path a store. The header's five longs
     * share the count's cache line, so the hot path touches one line per call plus the slot.
     */
    static final int COUNT = 0;
    static final int LIMIT = 1;
    static final int FREES = 2;
    static final int BATCHED_IN = 3;
    static final int BATCHED_OUT = 4;
    /** Index of the first slot; the slot of the {@code n}-th block held is {@code HEADER - 1 + n}. */
    static final int HEADER = 5;

    /** Mode bits: wrong frees are refused. */
    static final int CHECKED = 1;
    /** Mode bits: zeroing, debug poison or leak tracking; the hand-out and release take the slow methods. */
    static final int EXTRAS = 2;
    static final int UNCHECKED = 0;

    private static final VarHandle BUSY;
    private static final VarHandle OWNER;
    private static final MethodHandle HAND_OUT_EXTRAS;
    private static final MethodHandle RELEASE_EXTRAS;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            BUSY = lookup.findVarHandle(ThreadCache.class, "busy", int.class);
            OWNER = lookup.findVarHandle(ThreadCache.class, "owner", Thread.class);
            HAND_OUT_EXTRAS = lookup.findVirtual(BlockChecks.class, "handOutExtras",
                    MethodType.methodType(RuntimeException.class, int.class, long.class, long.class));
            RELEASE_EXTRAS = lookup.findVirtual(BlockChecks.class, "releaseExtras",
                    MethodType.methodType(void.class, ThreadCache.class, int.class, long.class, long.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The allocator's name, liveness, trimmer and checks; slow paths only. */
    final Rooms rooms;
    final CacheRegistry registry;
    /** The central stacks, by class: where refills and spills go. */
    final CentralStack[] centrals;
    /** Where a request above the classes, or a free of a segment not from the heap, goes. */
    final LargeBlocks large;
    final BlockChecks checks;
    /** {@link #HAND_OUT_EXTRAS}, {@link #RELEASE_EXTRAS}: in instance fields so the JIT does not inline them. */
    private final MethodHandle handOutExtras = HAND_OUT_EXTRAS;
    private final MethodHandle releaseExtras = RELEASE_EXTRAS;
    final MemorySegment all;
    private final MemorySegment.Scope scope;
    final long base;
    final long intTable;
    final long byteTable;
    final Heap heap;
    /** {@link #CHECKED} and {@link #EXTRAS} bits: one field for the hot path to test. */
    final int mode;
    /** True for a cache of {@link NativeAllocator#global()}: see {@link #heapSegment()}. */
    private final boolean global;
    /** Per class: null until first use, then {@link #HEADER} longs and the class's slots. Owner only, plain. */
    final long[][] rings = new long[SizeClasses.count()][];
    /** Where {@link Batches} copies a batch's addresses before it checks them; null until the first. Owner only. */
    long[] batchSnapshot;
    /**
     * Bytes by which this cache's large rings have grown past their capacity, at most
     * {@link SizeClasses#LARGE_RING_BUDGET}; back to 0 when the cache is flushed. Owner only.
     */
    long grantedRingBytes;
    /** True for a virtual-thread stripe, false for a platform thread's own cache. */
    final boolean shared;
    /**
     * The thread allowed to use this cache. A platform cache's never changes; a stripe's is set by
     * the thread that took its {@link #busy} flag and cleared before the flag is released, or
     * taken over with a compare-and-set ({@link #takeOver}) from a holder that ended.
     */
    Thread owner;
    /** A stripe's re-entry depth, for a thread that takes the stripe it holds; owner only. */
    int depth;
    /**
     * Times this stripe was given back; written by the holder before it gives the flag back,
     * read racily by threads waiting for a stripe, which restart their patience when it moves.
     */
    int handoffs;
    /** A stripe's lock: 0 free, 1 taken; compare-and-set to take, release store to give back. */
    @SuppressWarnings("unused")
    private volatile int busy;

    ThreadCache(Heap heap, int mode, Thread owner, Rooms rooms, CentralStack[] centrals, LargeBlocks large,
                CacheRegistry registry) {
        this.rooms = rooms;
        this.registry = registry;
        this.centrals = centrals;
        this.large = large;
        this.checks = rooms.checks();
        this.heap = heap;
        this.all = heap.all;
        this.scope = heap.all.scope();
        this.global = heap.forever;
        this.base = heap.base;
        this.intTable = heap.intTable;
        this.byteTable = heap.byteTable;
        this.mode = mode;
        this.owner = owner;
        this.shared = owner == null;
    }

    // ---- the public face: owner check, then the engine -----------------------------------------

    /**
     * Allocates {@code size} bytes, 16-byte aligned; see {@link NativeAllocator#allocate(long)}.
     *
     * @param size the bytes wanted, 0 to {@link NativeAllocator#MAX_BLOCK}
     * @return a segment of exactly {@code size} bytes, not zeroed
     * @throws IllegalArgumentException if {@code size} is negative or above {@link NativeAllocator#MAX_BLOCK}
     * @throws MemoryLimitException if the block would take {@code Sys - Released} past the memory limit
     * @throws OutOfMemoryError if the OS refuses the memory
     * @throws WrongThreadException if called by a thread this cache does not belong to
     * @throws IllegalStateException if the allocator is closed, or this borrowed cache was given back
     */
    @Override
    public MemorySegment allocate(long size) {
        checkOwner();
        return allocate0(size);
    }

    /**
     * Allocates {@code size} bytes on an {@code alignment} boundary; see {@link NativeAllocator#allocate(long, long)}.
     *
     * @param size the bytes wanted, 0 to {@link NativeAllocator#MAX_BLOCK}
     * @param alignment a power of two up to {@link NativeAllocator#MAX_ALIGNMENT}
     * @return a segment of exactly {@code size} bytes, not zeroed
     * @throws IllegalArgumentException if {@code size} or {@code alignment} is out of range
     * @throws MemoryLimitException if the block would take {@code Sys - Released} past the memory limit
     * @throws OutOfMemoryError if the OS refuses the memory
     * @throws WrongThreadException if called by a thread this cache does not belong to
     * @throws IllegalStateException if the allocator is closed, or this borrowed cache was given back
     */
    @Override
    public MemorySegment allocate(long size, long alignment) {
        checkOwner();
        return allocate0(size, alignment);
    }

    /**
     * Frees a segment this allocator returned; see {@link NativeAllocator#free(MemorySegment)}.
     *
     * @param segment a block from this allocator, unchanged
     * @throws IllegalArgumentException if the segment is not a block of this allocator as handed out
     * @throws IllegalStateException if the block is already free, the allocator is closed, or this
     *         borrowed cache was given back
     * @throws WrongThreadException if called by a thread this cache does not belong to
     */
    public void free(MemorySegment segment) {
        checkOwner();
        free0(segment);
    }

    /**
     * Allocates and returns the block's address; see {@link NativeAllocator#allocateAddress(long)}.
     *
     * @param size the bytes wanted, 0 to {@link NativeAllocator#MAX_BLOCK}
     * @return the block's address
     * @throws IllegalArgumentException if {@code size} is negative or above {@link NativeAllocator#MAX_BLOCK}
     * @throws MemoryLimitException if the block would take {@code Sys - Released} past the memory limit
     * @throws OutOfMemoryError if the OS refuses the memory
     * @throws WrongThreadException if called by a thread this cache does not belong to
     * @throws IllegalStateException if the allocator is closed, or this borrowed cache was given back
     */
    public long allocateAddress(long size) {
        checkOwner();
        return allocateAddress0(size);
    }

    /**
     * Frees by address; see {@link NativeAllocator#freeAddress(long, long)}.
     *
     * @param address the block's address, as allocated
     * @param size the size it was allocated with
     * @throws IllegalArgumentException if no block of this allocator starts there with that size
     * @throws IllegalStateException if the block is already free, the allocator is closed, or this
     *         borrowed cache was given back
     * @throws WrongThreadException if called by a thread this cache does not belong to
     */
    public void freeAddress(long address, long size) {
        checkOwner();
        freeAddress0(address, size);
    }

    /**
     * Allocates {@code count} blocks of {@code size} bytes into {@code addresses[offset..offset+count)},
     * taking them from this cache's ring in runs; see {@link NativeAllocator#allocateBatch}.
     *
     * @param size the bytes of every block, 0 to {@link NativeAllocator#MAX_CLASS_SIZE}
     * @param addresses where the blocks' addresses go
     * @param offset the first index written
     * @param count how many blocks
     * @throws IllegalArgumentException if {@code size} is negative or above {@link NativeAllocator#MAX_CLASS_SIZE}
     * @throws IndexOutOfBoundsException if {@code offset} and {@code count} do not lie within {@code addresses}
     * @throws MemoryLimitException if a block would take {@code Sys - Released} past the memory limit
     * @throws OutOfMemoryError if the OS refuses the memory
     * @throws WrongThreadException if called by a thread this cache does not belong to
     * @throws IllegalStateException if the allocator is closed, or this borrowed cache was given back
     */
    public void allocateBatch(long size, long[] addresses, int offset, int count) {
        checkOwner();
        Batches.allocate(this, size, addresses, offset, count);
    }

    /**
     * Frees {@code count} blocks of {@code size} bytes by their addresses, all or none; see
     * {@link NativeAllocator#freeBatch}.
     *
     * @param size the size every block was allocated with
     * @param addresses the blocks' addresses
     * @param offset the first index read
     * @param count how many blocks
     * @throws IllegalArgumentException if any address is not a block of this allocator handed out
     *         with {@code size} bytes in the size's class, or {@code size} is out of range
     * @throws IndexOutOfBoundsException if {@code offset} and {@code count} do not lie within {@code addresses}
     * @throws WrongThreadException if called by a thread this cache does not belong to
     * @throws IllegalStateException if a block is already free (or named twice), the allocator is
     *         closed, or this borrowed cache was given back
     */
    public void freeBatch(long size, long[] addresses, int offset, int count) {
        checkOwner();
        Batches.free(this, size, addresses, offset, count);
    }

    /**
     * Gives every free block this cache holds back to the central stacks at once, for a thread
     * about to idle: afterwards the cache holds 0 bytes, {@link NativeAllocator#trim()} can reach
     * those blocks, and the next allocation of each class refills as a fresh thread's would.
     *
     * @return the blocks given back
     * @throws WrongThreadException if called by a thread this cache does not belong to
     * @throws IllegalStateException if the allocator is closed
     */
    public long flush() {
        checkOwner();
        rooms.live().check();
        return RingCache.flush(this);
    }

    /**
     * Ends a borrow from {@link NativeAllocator#borrowCache()}: the cache goes back to the stripes
     * that virtual threads share, with its blocks. A platform thread's own cache stays its own, so
     * closing it does nothing. Closing a borrowed cache that was given back does nothing either.
     * Nested borrows by one thread return the same cache and count: close each once, innermost
     * first (one close too many ends the outer borrow, whose next call is then refused).
     *
     * @throws WrongThreadException if a thread other than the borrower closes a cache it holds
     */
    @Override
    public void close() {
        if (shared) {
            if (owner == null) {
                return; // given back already, and not taken since: closing it again does nothing
            }
            checkOwner();
            registry.releaseStripe(this);
        }
    }

    private void checkOwner() {
        if (Thread.currentThread() != owner) {
            throw Refusals.wrongThread(this, Thread.currentThread());
        }
    }

    // ---- the engine: called by the owner ------------------------------------------------------

    // Every method a segment passes through is at most 35 bytes of bytecode, so that C2 inlines
    // it at any call site, hot or not (see NativeAllocator's hot-path comment).

    MemorySegment allocate0(long size) {
        if (Long.compareUnsigned(size, SizeClasses.MAX_SIZE) > 0) {
            return allocateLarge(size, 1);
        }
        return heapSegment().asSlice(take(size), size);
    }

    MemorySegment allocate0(long size, long alignment) {
        int sizeClass = SizeClasses.classFor(size, alignment);
        return sizeClass < 0 ? allocateLarge(size, alignment) : slice(take(sizeClass, size), size);
    }

    /** The heap segment's slice of {@code size} bytes at heap {@code offset}. */
    private MemorySegment slice(long offset, long size) {
        return heapSegment().asSlice(offset, size);
    }

    /** True when {@code segment} is a slice of the heap segment (its scope is the heap's). */
    private boolean inHeap(MemorySegment segment) {
        return segment.scope() == heapScope();
    }

    private MemorySegment allocateLarge(long size, long alignment) {
        return large.allocate(size, alignment);
    }

    long allocateAddress0(long size) {
        if (Long.compareUnsigned(size, SizeClasses.MAX_SIZE) > 0) {
            return large.allocate(size, 1).address();
        }
        return base() + take(SizeClasses.classOf(size), size);
    }

    void free0(MemorySegment segment) {
        if (inHeap(segment)) {
            releaseHeapBlock(segment.address(), segment.byteSize());
        } else {
            freeLarge(segment);
        }
    }

    private void freeLarge(MemorySegment segment) {
        large.free(segment);
    }

    /** The free of a heap segment, by its address and size: no segment past this point. */
    private void releaseHeapBlock(long address, long size) {
        long offset = address - base();
        checkCommitted(offset, size);
        release(offset, size);
    }

    /**
     * Refuses a heap segment that starts outside the committed heap: only {@code reinterpret}
     * makes one, and its state entry may lie in uncommitted table pages.
     */
    void checkCommitted(long offset, long size) {
        if (heap().pastTop(offset)) {
            throw checks.refuseFree(offset, size);
        }
    }

    void freeAddress0(long address, long size) {
        long offset = address - base();
        if (heap().pastTop(offset)) {
            large.freeAddress(address, size);
            return;
        }
        release(offset, size);
    }

    /** Takes a block for a request of {@code size} bytes, a class size; returns its heap offset. */
    long take(long size) {
        return take(SizeClasses.classOf(size), size);
    }

    /** Takes a block of {@code sizeClass} for a request of {@code size} bytes; returns its heap offset. */
    long take(int sizeClass, long size) {
        long[] ring = rings[sizeClass];
        if (ring == null) {
            ring = newRing(sizeClass);
        }
        int n = (int) ring[COUNT];
        if (n == 0) {
            n = refill(sizeClass, ring);
        }
        long offset = ring[HEADER - 1 + n];
        if (mode() == CHECKED) {
            markHandedOut(sizeClass, offset, size);
        } else if (mode() == UNCHECKED) {
            // Unchecked, a ring hit after close() touches no state table, so nothing else would
            // throw: the block is no longer mapped and must not leave. (Checked, the state write throws.)
            if (!heapScope().isAlive()) {
                throw Refusals.closed();
            }
        } else {
            RuntimeException trapped = handOutExtras(sizeClass, offset, size);
            if (trapped != null) {
                ring[COUNT] = n - 1;
                throw trapped;
            }
        }
        ring[COUNT] = n - 1;
        return offset;
    }

    /**
     * Records that the free block at {@code offset} is handed out with {@code size} bytes (debug
     * mode also checks that it was free). The first table access after {@code close()} throws the
     * closed segment's {@link IllegalStateException} ("Already closed"), before the ring changes.
     * No handler here: the hot methods stay small enough for the JIT to inline them into callers
     * (see docs/DESIGN.md, "Virtual threads").
     */
    private void markHandedOut(int sizeClass, long offset, long size) {
        BlockState.handOut(heapSegment(), intTable(), byteTable(), sizeClass, offset, size);
    }

    /**
     * The shared tail of both frees, for an offset inside the committed heap (a segment of the
     * heap's scope can lie past it only through {@code reinterpret}: {@link #checkCommitted}
     * refuses it). Checked, a block state that matches proves
     * that {@code offset} is the start of a block handed out with {@code size} bytes (see
     * {@link BlockState}); unchecked, nothing is proven, but the block must still lie inside the
     * committed heap, so that a forged offset can never make the ring hand out memory past it.
     */
    void release(long offset, long size) {
        if (Long.compareUnsigned(size, SizeClasses.MAX_SIZE) > 0 || (offset & (SizeClasses.GRANULE - 1)) != 0) {
            throw checks.refuseFree(offset, size);
        }
        int sizeClass = SizeClasses.classOf(size);
        if ((mode() & CHECKED) == 0) {
            sizeClass = uncheckedClass(sizeClass, offset, size);
        } else if (!markFree(sizeClass, offset, size)) {
            sizeClass = checks.releaseMismatch(offset, size);
        }
        if ((mode() & EXTRAS) != 0) {
            releaseExtras(sizeClass, offset, size); // the put too, so that a throw can be undone
        } else {
            put(sizeClass, offset, size);
        }
    }

    /**
     * The class an unchecked free goes to. No block state is kept, so nothing proves the address
     * is a block start, but the block must be this allocator's memory: the class is the one of the
     * chunk that holds it (a block allocated with an alignment into a larger class than its size
     * names goes back to that class, not to the size's), the size must fit that class, the block
     * must end inside the committed heap, and the heap must be open. One class-table load.
     */
    int uncheckedClass(int sizeClass, long offset, long size) {
        int chunkClass = heap().classAtCommitted(offset);
        if (chunkClass != sizeClass) {
            if (chunkClass < 0 || size > SizeClasses.size(chunkClass)) {
                throw checks.refuseFree(offset, size);
            }
            sizeClass = chunkClass;
        }
        long end = offset + SizeClasses.size(sizeClass);
        if (end > heap().top() && end > heap().topAcquire()) {
            throw Refusals.pastCommittedHeap(base() + offset, size, SizeClasses.size(sizeClass), base() + heap.topAcquire());
        }
        if (!heapScope().isAlive()) {
            throw Refusals.closed();
        }
        return sizeClass;
    }

    /**
     * A free whose put into the ring threw (the central stack refused the batch): the block goes
     * back to the state it had before the free, handed out with {@code size} bytes, so the caller
     * still owns it and the free can be retried; nothing else changed.
     */
    void undoRelease(int sizeClass, long offset, long size) {
        if ((mode() & CHECKED) != 0) {
            BlockState.handOut(heapSegment(), intTable(), byteTable(), sizeClass, offset, size);
        }
    }

    /** Marks the block free if its state says it was handed out in this class with this size. */
    private boolean markFree(int sizeClass, long offset, long size) {
        return BlockState.free(heapSegment(), intTable(), byteTable(), sizeClass, offset, size);
    }

    /** Puts a block freed with {@code size} bytes on its class's ring. */
    void put(int sizeClass, long offset, long size) {
        long[] ring = rings[sizeClass];
        if (ring == null) {
            ring = newRing(sizeClass);
        }
        int n = (int) ring[COUNT];
        if (n == ring[LIMIT]) {
            RingCache.putSlow(this, sizeClass, ring, offset, size);
            return;
        }
        ring[HEADER + n] = offset;
        ring[COUNT] = n + 1;
        ring[FREES]++;
    }

    /**
     * {@link BlockChecks#handOutExtras} and {@link BlockChecks#releaseExtras} through method
     * handles in instance fields, which the JIT calls but never inlines: the optional modes' work
     * (zeroing, poison, leak records) stays out of the hot methods' compiled code, which must stay
     * small enough to inline into callers for escape analysis to remove the segment.
     */
    /** Hop: {@code handOutExtras} is {@link BlockChecks#handOutExtras(int, long, long)}. */
    private RuntimeException handOutExtras(int sizeClass, long offset, long size) {
        try {
            return (RuntimeException) handOutExtras.invokeExact(checks, sizeClass, offset, size);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Hop: {@code releaseExtras} is {@link BlockChecks#releaseExtras(ThreadCache, int, long, long)}. */
    private void releaseExtras(int sizeClass, long offset, long size) {
        try {
            releaseExtras.invokeExact(checks, this, sizeClass, offset, size);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    long[] newRing(int sizeClass) {
        long[] ring = new long[HEADER + SizeClasses.ringSlots(sizeClass)];
        ring[LIMIT] = SizeClasses.ringCapacity(sizeClass);
        rings[sizeClass] = ring;
        return ring;
    }

    int refill(int sizeClass, long[] ring) {
        return RingCache.refill(this, sizeClass, ring);
    }

    /**
     * The heap segment, read so that the JIT can fold it: for the process-wide allocator's caches
     * from {@link GlobalAllocator#HEAP}, a {@code static final} (a constant: its bounds fold, and
     * its scope, the global one, is never closed, so its liveness checks go), else from this
     * cache's field. {@code global} is final and never changes, so the branch is always predicted.
     */
    private MemorySegment heapSegment() {
        return global ? GlobalAllocator.HEAP : all;
    }

    /*
     * The heap's addresses, its room and this cache's mode, read as heapSegment() is: constants
     * for the global allocator's caches (GlobalAllocator's static finals), this cache's fields
     * otherwise. Every one tests the same final boolean, which the JIT tests once per call.
     */

    private long base() {
        return global ? GlobalAllocator.BASE : base;
    }

    private long intTable() {
        return global ? GlobalAllocator.INT_TABLE : intTable;
    }

    private long byteTable() {
        return global ? GlobalAllocator.BYTE_TABLE : byteTable;
    }

    private int mode() {
        return global ? GlobalAllocator.MODE : mode;
    }

    private Heap heap() {
        return global ? GlobalAllocator.HEAP_ROOM : heap;
    }

    /** The heap segment's scope, as {@link #heapSegment()} reads it. */
    private MemorySegment.Scope heapScope() {
        return global ? GlobalAllocator.HEAP.scope() : scope;
    }

    /** The heap segment this cache slices; for the allocator's slow paths. */
    MemorySegment all() {
        return all;
    }

    /**
     * Takes over a stripe whose holder {@code dead} ended without giving it back: true for the one
     * thread whose compare-and-set of the owner wins. The flag stays taken; the blocks come along.
     */
    boolean takeOver(Thread dead, Thread thread) {
        return OWNER.compareAndSet(this, dead, thread);
    }

    /** Takes a stripe's flag; true when taken. */
    boolean tryTake() {
        return (int) BUSY.getOpaque(this) == 0 && BUSY.compareAndSet(this, 0, 1);
    }

    /** Gives a stripe's flag back; the owner's writes to its rings happen-before the next taker's reads. */
    void giveBack() {
        BUSY.setRelease(this, 0);
    }

    /** True when this is a platform thread's cache and that thread has ended. */
    boolean ownerEnded() {
        return !shared && !owner.isAlive();
    }
}
