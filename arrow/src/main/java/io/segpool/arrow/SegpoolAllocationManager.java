package io.segpool.arrow;

import org.apache.arrow.memory.AllocationManager;
import org.apache.arrow.memory.BufferAllocator;

import java.lang.foreign.MemorySegment;

/**
 * The memory behind one Arrow buffer (and every slice and transfer of it): one segpool block of
 * exactly the bytes Arrow accounted, freed once, when Arrow releases its last reference.
 *
 * <p>{@link #getSize()} is the size Arrow asked for, never the block's size: Arrow's ledgers
 * subtract it from the accountant when the buffer goes, so anything else would drive the
 * accountant off (negative, or leaked). The segment is kept, not only its address, because a
 * 64-byte aligned block is freed through the segment it was handed out as.
 */
final class SegpoolAllocationManager extends AllocationManager {

    private final SegpoolArrow owner;
    private final MemorySegment block;
    private final long address;
    private final long size;

    SegpoolAllocationManager(SegpoolArrow owner, BufferAllocator accountingAllocator, MemorySegment block, long size) {
        super(accountingAllocator);
        this.owner = owner;
        this.block = block;
        this.address = block.address();
        this.size = size;
    }

    @Override
    public long getSize() {
        return size;
    }

    @Override
    protected long memoryAddress() {
        return address;
    }

    /** Called by Arrow once, on whichever thread drops the last reference; segpool frees from any thread. */
    @Override
    protected void release0() {
        owner.release(block, size);
    }
}
