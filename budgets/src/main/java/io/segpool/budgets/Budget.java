package io.segpool.budgets;

import io.segpool.allocator.NativeAllocator;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Objects;

/**
 * A memory budget over a shared {@link NativeAllocator}: a node of a tree (a database, its
 * queries, their operators) with a limit, a reservation and a listener, that charges every block
 * at its block size ({@link NativeAllocator#blockSize}, the unit of {@code Inuse}) to itself and
 * every ancestor. The rules are Apache Arrow's: a child's reservation is taken from its parent
 * when the child is made, and its use below the reservation is never charged further up.
 *
 * <p>Every decision is exact ({@link BudgetTree}): no budget's {@link #used()} passes its limit
 * at any instant, and a request that fits is never refused for another one in flight. To keep
 * the lock off the hot path, each thread slot of a budget holds leased credit: up to
 * {@link #leaseChunk()} bytes charged ahead of use (at most 64 KiB, and a 32nd of the limit), so
 * {@code used} may run ahead of the live blocks' bytes by up to three chunks per slot; a request that
 * the credit would make the tree refuse takes all credit back first. {@link #flush()} and
 * {@link #close()} take it back too, so a budget whose blocks are all freed reads 0.
 *
 * <p>A block is freed through the budget that allocated it, from any thread. A free through
 * another budget of the tree (a sibling, the root) is refused naming both, with nothing changed:
 * crediting the owner silently would hide the bug that routed the block wrong, and the owner's
 * figures would change under code that never touched it.
 */
public final class Budget implements SegmentAllocator, AutoCloseable {

    private static final long MAX_LEASE_CHUNK = 64 * 1024;
    private static final VarHandle COUNTS = MethodHandles.arrayElementVarHandle(long[].class);

    final BudgetTree tree;
    /** This budget's index in its tree, which the owner table records per block. */
    final int id;
    final Budget parent;
    private final String name;
    private final String path;
    private final BudgetListener listener;
    /** Per-stripe blocks, block bytes and requested bytes, written under the owner table's stripe locks. */
    final long[] counts = new long[Owners.STRIPES * Owners.STRIDE];
    final Leases leases = new Leases();
    /** Children not yet closed, and closed ones with blocks still live; under the tree's lock. */
    final ArrayList<Budget> children = new ArrayList<>();
    /** Open reservations, whose bytes close() returns; under the tree's lock. */
    final ArrayList<BudgetReservation> reservations = new ArrayList<>();

    // Written under the tree's lock; read anywhere.
    volatile long used;
    volatile long peak;
    volatile long limit;
    volatile long reservation;
    volatile long highWaterMark = Long.MAX_VALUE;
    volatile boolean highWaterPending;
    volatile boolean closed;
    volatile long leaseChunk;
    private volatile boolean trackLeaks;
    private volatile long listenerFailures;

    private Budget(BudgetTree tree, Budget parent, String name, long reservation, long limit, BudgetListener listener) {
        this.tree = tree;
        this.id = tree.register(this);
        this.parent = parent;
        this.name = name;
        this.path = parent == null ? name : parent.path + "/" + name;
        this.reservation = reservation;
        this.limit = limit;
        this.listener = listener;
        this.leaseChunk = chunkFor(limit);
        this.trackLeaks = parent != null && parent.trackLeaks;
    }

    /**
     * A root budget over {@code allocator}: the top of a tree, with no reservation.
     *
     * @param allocator the allocator every block of the tree comes from
     * @param name the root's name, the first element of every path in the tree
     * @param limit the most bytes the whole tree may use, at least 0
     * @return the root
     * @throws IllegalArgumentException if {@code limit} is negative or {@code name} is empty or holds '/'
     */
    public static Budget root(NativeAllocator allocator, String name, long limit) {
        return root(allocator, name, limit, null);
    }

    /**
     * A root budget with a listener, which its children inherit unless given their own.
     *
     * @param allocator the allocator every block of the tree comes from
     * @param name the root's name
     * @param limit the most bytes the whole tree may use, at least 0
     * @param listener the listener, or null for none
     * @return the root
     * @throws IllegalArgumentException if {@code limit} is negative or {@code name} is empty or holds '/'
     */
    public static Budget root(NativeAllocator allocator, String name, long limit, BudgetListener listener) {
        Objects.requireNonNull(allocator, "allocator");
        checkArgs(name, 0, limit);
        Budget root = new Budget(new BudgetTree(allocator), null, name, 0, limit, listener);
        synchronized (root.tree.lock) {
            root.tree.open.add(root);
        }
        return root;
    }

    /**
     * A child budget, its reservation taken from this budget now (Arrow's
     * {@code newChildAllocator(name, initReservation, maxAllocation)}).
     *
     * @param name the child's name, unique among siblings by convention, the last element of its path
     * @param initReservation bytes charged to this budget now and usable by the child alone, at least 0
     * @param maxAllocation the child's limit, at least {@code initReservation}
     * @return the child
     * @throws IllegalArgumentException if a figure is negative or the reservation is above the limit
     * @throws BudgetLimitException if the reservation does not fit in this budget (or an ancestor)
     * @throws IllegalStateException if this budget is closed
     */
    public Budget newChild(String name, long initReservation, long maxAllocation) {
        return newChild(name, initReservation, maxAllocation, listener);
    }

    /**
     * A child budget with its own listener.
     *
     * @param name the child's name
     * @param initReservation bytes charged to this budget now and usable by the child alone, at least 0
     * @param maxAllocation the child's limit, at least {@code initReservation}
     * @param listener the child's listener, or null for none
     * @return the child
     * @throws IllegalArgumentException if a figure is negative or the reservation is above the limit
     * @throws BudgetLimitException if the reservation does not fit in this budget (or an ancestor)
     * @throws IllegalStateException if this budget is closed
     */
    public Budget newChild(String name, long initReservation, long maxAllocation, BudgetListener listener) {
        checkArgs(name, initReservation, maxAllocation);
        Budget child = new Budget(tree, this, name, initReservation, maxAllocation, listener);
        synchronized (tree.lock) {
            checkOpen();
            Budget refuser = initReservation > 0 ? charge(initReservation) : null;
            if (refuser != null) {
                throw BudgetTree.refusal(this, refuser, initReservation, initReservation);
            }
            children.add(child);
            tree.open.add(child);
        }
        fireHighWater();
        if (this.listener != null) {
            try {
                this.listener.onChildAdded(this, child);
            } catch (RuntimeException e) {
                listenerFailed("onChildAdded", e);
            }
        }
        return child;
    }

    /** Under the lock: {@link BudgetTree#tryCharge}, taking every lease's credit back before a refusal. */
    Budget charge(long bytes) {
        Budget refuser = tree.tryCharge(this, bytes);
        if (refuser != null && tree.drainAll()) {
            refuser = tree.tryCharge(this, bytes);
        }
        return refuser;
    }

    private static void checkArgs(String name, long reservation, long limit) {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty() || name.indexOf('/') >= 0) {
            throw new IllegalArgumentException("budget name '" + name + "': must be non-empty, without '/'");
        }
        if (reservation < 0 || limit < 0 || reservation > limit) {
            throw new IllegalArgumentException("budget " + name + ": reservation " + reservation + " and limit "
                    + limit + " must be >= 0 with reservation <= limit");
        }
    }

    private static long chunkFor(long limit) {
        long chunk = Math.min(MAX_LEASE_CHUNK, limit / 32);
        return chunk < 4096 ? 0 : chunk;
    }

    // ---- allocate and free ---------------------------------------------------------------------

    @Override
    public MemorySegment allocate(long size) {
        long block = NativeAllocator.blockSize(size);
        take(size, block);
        MemorySegment segment;
        try {
            segment = tree.allocator.allocate(size);
        } catch (RuntimeException | Error e) {
            Charging.credit(this, block);
            throw e;
        }
        record(segment.address(), size, block);
        return segment;
    }

    @Override
    public MemorySegment allocate(long size, long alignment) {
        long block = NativeAllocator.blockSize(size, alignment);
        take(size, block);
        MemorySegment segment;
        try {
            segment = tree.allocator.allocate(size, alignment);
        } catch (RuntimeException | Error e) {
            Charging.credit(this, block);
            throw e;
        }
        record(segment.address(), size, block);
        return segment;
    }

    /**
     * Like {@link NativeAllocator#allocateAddress(long)}, charged to this budget.
     *
     * @param size the bytes wanted
     * @return the block's address
     * @throws BudgetLimitException if the block would take this budget or an ancestor past its limit
     * @throws IllegalStateException if this budget is closed
     */
    public long allocateAddress(long size) {
        long block = NativeAllocator.blockSize(size);
        take(size, block);
        long address;
        try {
            address = tree.allocator.allocateAddress(size);
        } catch (RuntimeException | Error e) {
            Charging.credit(this, block);
            throw e;
        }
        record(address, size, block);
        return address;
    }

    /**
     * Frees a segment this budget allocated, from any thread, and credits its block size.
     *
     * @param segment a segment {@link #allocate(long)} returned
     * @throws IllegalArgumentException if no live block of this tree starts there, or another
     *         budget owns it (naming both), or the allocator refuses the segment; nothing changes
     */
    public void free(MemorySegment segment) {
        long address = segment.address();
        long block = unrecord(address, segment.byteSize());
        try {
            tree.allocator.free(segment);
        } catch (RuntimeException e) {
            rerecord(address, segment.byteSize(), block);
            throw e;
        }
        Charging.credit(this, block);
        afterFree(block);
    }

    /**
     * Frees a block by the address and size it was allocated with, as {@link #free(MemorySegment)}.
     *
     * @param address the address {@link #allocateAddress(long)} returned
     * @param size the size it was allocated with
     * @throws IllegalArgumentException as {@link #free(MemorySegment)}
     */
    public void freeAddress(long address, long size) {
        long block = unrecord(address, size);
        try {
            tree.allocator.freeAddress(address, size);
        } catch (RuntimeException e) {
            rerecord(address, size, block);
            throw e;
        }
        Charging.credit(this, block);
        afterFree(block);
    }

    // ---- charging: a lease's credit, else the tree's lock ------------------------------------

    /** Charges {@code block} bytes for a request of {@code size}, or throws with nothing charged. */
    private void take(long size, long block) {
        BudgetListener l = listener;
        if (l != null) {
            l.beforeAllocate(this, size, block);
        }
        Lease lease = leases.current();
        if (lease != null && lease.take(block)) {
            return;
        }
        Charging.takeLocked(this, size, block, l);
    }

    void record(long address, long size, long block) {
        tree.owners.add(address, this, size, block, trackLeaks ? new Throwable("allocated here") : null);
    }

    private void rerecord(long address, long size, long block) {
        tree.owners.add(address, this, size, block, null);
    }

    /** Removes the owner record of a block this budget must own, and returns its block size. */
    private long unrecord(long address, long size) {
        long block = tree.owners.remove(address, this);
        if (block < 0) {
            throw Listening.refusedFree(this, block, address, size);
        }
        return block;
    }

    private void afterFree(long block) {
        if (listener != null) {
            Listening.afterFree(this, listener, block);
        }
    }

    /** Calls onHighWater for every budget on the path whose use crossed its mark since the last call. */
    void fireHighWater() {
        for (Budget n = this; n != null; n = n.parent) {
            if (n.highWaterPending) {
                Listening.highWater(n);
            }
        }
    }

    void listenerFailed(String call, RuntimeException e) {
        synchronized (tree.lock) {
            listenerFailures++;
        }
        Listening.log(this, call, e);
    }

    BudgetListener listenerOrNull() {
        return listener;
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("budget " + path + " is closed");
        }
    }

    // ---- figures and settings ----------------------------------------------------------------

    /** {@return this budget's name} */
    public String name() {
        return name;
    }

    /** {@return the names from the root down to this budget, joined by '/', as {@code db/query-42/hash-join}} */
    public String path() {
        return path;
    }

    /** {@return the parent, or null for a root} */
    public Budget parent() {
        return parent;
    }

    /** {@return the allocator every block of this tree comes from} */
    public NativeAllocator allocator() {
        return tree.allocator;
    }

    /** {@return the bytes counted against the limit: live blocks, leased credit and open reservations} */
    public long used() {
        return used;
    }

    /** {@return the block bytes of this budget's live blocks, exact once no thread is allocating or freeing} */
    public long allocated() {
        long sum = 0;
        for (int i = 0; i < Owners.STRIPES; i++) {
            sum += (long) COUNTS.getOpaque(counts, i * Owners.STRIDE + 1);
        }
        return sum;
    }

    /** {@return the highest {@link #used()} so far} */
    public long peak() {
        return peak;
    }

    /** {@return the limit} */
    public long limit() {
        return limit;
    }

    /** {@return the reservation taken from the parent when this budget was made (0 once closed)} */
    public long reservation() {
        return reservation;
    }

    /** {@return the credit each lease takes from the tree at a time: 0 when the limit is under 128 KiB} */
    public long leaseChunk() {
        return leaseChunk;
    }

    /**
     * The bytes a request could take now, Arrow's formula
     * {@code min(limit - used, parent.headroom + max(0, reservation - used))}, at least 0.
     *
     * @return the headroom
     */
    public long headroom() {
        synchronized (tree.lock) {
            return BudgetTree.headroom(this);
        }
    }

    /**
     * Fills {@code stats} with this budget's figures, allocating nothing.
     *
     * @param stats the snapshot to overwrite
     */
    public void readStats(BudgetStats stats) {
        long blocks = 0;
        long bytes = 0;
        long requested = 0;
        for (int i = 0; i < Owners.STRIPES; i++) {
            int base = i * Owners.STRIDE;
            blocks += (long) COUNTS.getOpaque(counts, base);
            bytes += (long) COUNTS.getOpaque(counts, base + 1);
            requested += (long) COUNTS.getOpaque(counts, base + 2);
        }
        stats.blocks = blocks;
        stats.allocated = bytes;
        stats.requested = requested;
        synchronized (tree.lock) {
            stats.used = used;
            stats.peak = peak;
            stats.limit = limit;
            stats.reservation = reservation;
            stats.headroom = BudgetTree.headroom(this);
            int open = 0;
            for (int i = 0; i < children.size(); i++) {
                open += children.get(i).closed ? 0 : 1;
            }
            stats.children = open;
            stats.listenerFailures = listenerFailures;
            stats.closed = closed;
        }
    }

    /**
     * Sets the limit at run time. Below the current use it refuses every further request until
     * frees bring the use back under it ({@link #isOverLimit()} says so meanwhile).
     *
     * @param newLimit the new limit, at least the reservation
     * @throws IllegalArgumentException if {@code newLimit} is below the reservation
     */
    public void setLimit(long newLimit) {
        synchronized (tree.lock) {
            if (newLimit < reservation || newLimit < 0) {
                throw new IllegalArgumentException("budget " + path + ": limit " + newLimit
                        + " is below its reservation " + reservation);
            }
            tree.drainAll();
            limit = newLimit;
            leaseChunk = chunkFor(newLimit);
        }
    }

    /** {@return whether this budget or an ancestor uses more than its limit (after {@link #setLimit} lowered one)} */
    public boolean isOverLimit() {
        for (Budget n = this; n != null; n = n.parent) {
            if (n.used > n.limit) {
                return true;
            }
        }
        return false;
    }

    /**
     * Sets the use past which the listener's {@link BudgetListener#onHighWater} is called, once
     * per crossing from at or below the mark to above it.
     *
     * @param mark the mark in bytes; {@link Long#MAX_VALUE} for none
     */
    public void setHighWaterMark(long mark) {
        synchronized (tree.lock) {
            highWaterMark = mark;
        }
    }

    /**
     * Records the allocation site of every block allocated through this budget from now on (and
     * through children made later), for the leak report of {@link #close()}: a stack trace per
     * block, so for debugging a leak, per budget and without restarting the JVM.
     *
     * @param on whether to record sites
     */
    public void trackLeaks(boolean on) {
        trackLeaks = on;
    }

    /** Takes back the credit leased to threads, so that {@link #used()} equals the live blocks' bytes plus reservations. */
    public void flush() {
        synchronized (tree.lock) {
            long credit = leases.drain();
            if (credit > 0) {
                tree.uncharge(this, credit);
            }
        }
    }

    /**
     * A reservation on this budget, empty until {@link BudgetReservation#add} charges bytes to it.
     *
     * @return the reservation; close it to give back what it did not allocate
     * @throws IllegalStateException if this budget is closed
     */
    public BudgetReservation newReservation() {
        BudgetReservation r = new BudgetReservation(this);
        synchronized (tree.lock) {
            checkOpen();
            reservations.add(r);
        }
        return r;
    }

    /**
     * Closes this budget and, first, its children: idempotent. The unused reservation goes back to
     * the parent. With blocks still live it throws {@link BudgetLeakException}, the budget closed
     * anyway and its live bytes charged to the parent until they are freed.
     *
     * @throws BudgetLeakException if a block of this budget or a descendant is still live
     */
    @Override
    public void close() {
        Closing.close(this, false);
    }

    /**
     * Frees every live block of this budget and its descendants, then closes it: for code that
     * must recover from a leak. Segments of the freed blocks must not be used again.
     */
    public void closeAndRelease() {
        Closing.close(this, true);
    }

    /** {@return whether this budget is closed} */
    public boolean isClosed() {
        return closed;
    }

    /** {@return the tree report of this budget and its descendants: res/used/peak/limit and live blocks} */
    public String report() {
        return Closing.report(this);
    }

    @Override
    public String toString() {
        return "Budget[" + path + ", used " + used + " of " + limit + "]";
    }
}
