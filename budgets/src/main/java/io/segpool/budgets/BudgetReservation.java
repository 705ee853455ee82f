package io.segpool.budgets;

import io.segpool.allocator.NativeAllocator;

import java.lang.foreign.MemorySegment;

/**
 * Bytes charged to a budget ahead of the blocks that will use them (Arrow's
 * {@code AllocationReservation}): {@link #add} charges exactly the bytes asked, with no rounding,
 * {@link #allocate} makes blocks out of them without charging again, and {@link #close()} gives
 * back what no block took. Thread-safe: every change is made under the budget tree's lock.
 * Closing the budget closes its open reservations.
 */
public final class BudgetReservation implements AutoCloseable {

    private final Budget budget;
    /** Bytes charged and not yet made into blocks; under the tree's lock. */
    private long reserved;
    private boolean closed;

    BudgetReservation(Budget budget) {
        this.budget = budget;
    }

    /**
     * Charges {@code bytes} more to the budget for this reservation, exactly, if they fit.
     *
     * @param bytes the bytes to add, at least 0
     * @return true if charged; false, with nothing changed, if the budget or an ancestor would pass its limit
     * @throws IllegalArgumentException if {@code bytes} is negative
     * @throws IllegalStateException if this reservation or its budget is closed
     */
    public boolean add(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("reservation add(" + bytes + "): bytes must be >= 0");
        }
        synchronized (budget.tree.lock) {
            checkOpen();
            if (budget.charge(bytes) != null) {
                return false;
            }
            reserved += bytes;
        }
        budget.fireHighWater();
        return true;
    }

    /** {@return the bytes reserved and not yet made into blocks} */
    public long reserved() {
        synchronized (budget.tree.lock) {
            return reserved;
        }
    }

    /**
     * A block of {@code size} bytes out of the reserved bytes, charged to the budget as any block
     * (free it through the budget).
     *
     * @param size the bytes wanted
     * @return the segment
     * @throws IllegalStateException if this reservation is closed or holds fewer bytes than the block takes
     */
    public MemorySegment allocate(long size) {
        long block = NativeAllocator.blockSize(size);
        synchronized (budget.tree.lock) {
            checkOpen();
            if (block > reserved) {
                throw new IllegalStateException("reservation on budget " + budget.path() + " holds " + reserved
                        + " bytes; a " + size + "-byte request takes a " + block + "-byte block");
            }
            reserved -= block;
        }
        MemorySegment segment;
        try {
            segment = budget.allocator().allocate(size);
        } catch (RuntimeException | Error e) {
            synchronized (budget.tree.lock) {
                if (closed) {
                    budget.tree.uncharge(budget, block);
                } else {
                    reserved += block;
                }
            }
            throw e;
        }
        budget.record(segment.address(), size, block);
        return segment;
    }

    /** Gives back the bytes no block took; idempotent. */
    @Override
    public void close() {
        synchronized (budget.tree.lock) {
            if (closed) {
                return;
            }
            long back = kill();
            budget.reservations.remove(this);
            if (back > 0) {
                budget.tree.uncharge(budget, back);
            }
        }
    }

    /** Closes this reservation and returns its bytes for the caller to uncharge; under the lock. */
    long kill() {
        closed = true;
        long back = reserved;
        reserved = 0;
        return back;
    }

    private void checkOpen() {
        if (closed || budget.closed) {
            throw new IllegalStateException("reservation on budget " + budget.path() + " is closed");
        }
    }
}
