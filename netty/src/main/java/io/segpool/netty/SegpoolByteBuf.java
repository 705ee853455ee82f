package io.segpool.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.segpool.allocator.NativeAllocator;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * A direct {@link ByteBuf} over one segpool block. Every access goes through a
 * {@link MemorySegment} over the whole block ({@link SegmentByteBuf}), so an index past the block or a buffer whose
 * allocator has closed throws instead of touching memory it does not own; Netty's reference
 * count decides when the block is freed, once, whichever view (slice, duplicate, leak-aware
 * wrapper) releases it last, and on whichever thread.
 *
 * <p>The buffer objects are recycled per thread ({@link BufferRecycler}), and each keeps its last
 * block's segment: a thread that allocates and releases in a loop gets the same block back from
 * its ring cache and the same buffer object from its recycler stack, so the pair makes no heap garbage.
 * Growth stays inside the block while it fits ({@link #maxFastWritableBytes()} tells Netty so),
 * and only past it allocates a larger block, copies and frees the old one.
 */
final class SegpoolByteBuf extends SegmentByteBuf {

    private SegpoolByteBufAllocator allocator;
    /** The carrier of the thread that made this buffer, or null if a virtual thread did. */
    private BufferRecycler.Carrier home;
    /** The last block's segment, kept across recycling to be reused when the same block comes back. */
    private MemorySegment lastSegment;
    private long address;
    /** The size the block was allocated with, which {@link NativeAllocator#freeAddress} wants back. */
    private long requested;
    /** The bytes of the block this buffer may use: its size class's block, or a large block's size. */
    private int blockBytes;
    private int capacity;

    /**
     * A buffer to be made live by {@link #init}. Released, it keeps only its home carrier (and
     * so nothing outside its own allocator's recycler), never the allocator: a closed
     * allocator's carriers and the buffer objects in them are collected with it.
     */
    SegpoolByteBuf() {
    }

    /**
     * Makes this (new or recycled) buffer a live one of {@code initialCapacity} bytes, its block
     * from {@code home}'s cache (the calling thread's carrier), or from the allocator when the
     * caller is a virtual thread and {@code home} is null.
     */
    SegpoolByteBuf init(SegpoolByteBufAllocator owner, BufferRecycler.Carrier home, int initialCapacity, int maxCapacity) {
        this.allocator = owner;
        this.home = home;
        long block = home != null ? home.cache.allocateAddress(initialCapacity) : owner.memory().allocateAddress(initialCapacity);
        try {
            attach(owner.memory(), home, block, initialCapacity);
        } catch (RuntimeException e) {
            owner.memory().freeAddress(block, initialCapacity);
            throw e;
        }
        this.capacity = initialCapacity;
        maxCapacity(maxCapacity);
        resetRefCnt();
        clear();
        markReaderIndex();
        markWriterIndex();
        return this;
    }

    /**
     * Points this buffer at {@code block}, of {@code size} bytes as allocated: the last block's
     * segment when the block is the same (the common case of a recycled buffer object), else one
     * from the carrier's segment cache, else a new one, which the cache then keeps.
     */
    private void attach(NativeAllocator memory, BufferRecycler.Carrier carrier, long block, long size) {
        boolean large = size > NativeAllocator.MAX_CLASS_SIZE;
        MemorySegment last = lastSegment;
        if (!large && last != null && last.address() == block && size == requested) {
            segment = last; // same block, same request: same block size, same segment
            address = block;
            return;
        }
        int bytes = (int) (large ? size : NativeAllocator.blockSize(size));
        if (large) {
            // A large block's segment dies with its mapping when freed: never reused.
            last = memory.segment(block, bytes);
            lastSegment = last;
            internalNio = null;
        } else if (last == null || last.address() != block || last.byteSize() != bytes) {
            last = carrier != null ? carrier.cachedSegment(block, bytes) : null;
            if (last == null) {
                last = memory.segment(block, bytes);
                if (carrier != null) {
                    carrier.cacheSegment(last);
                }
            }
            lastSegment = last;
            internalNio = null;
        }
        segment = last;
        address = block;
        requested = size;
        blockBytes = bytes;
    }

    @Override
    protected void deallocate() {
        long block = address;
        long size = requested;
        segment = RELEASED;
        address = 0;
        if (size > NativeAllocator.MAX_CLASS_SIZE) {
            lastSegment = null;
            internalNio = null;
        }
        SegpoolByteBufAllocator owner = allocator;
        allocator = null;
        BufferRecycler.Carrier carrier = home;
        if (carrier != null && carrier.owner == Thread.currentThread()) {
            // Released where it was made: the block and the object go back with no lookup.
            carrier.cache.freeAddress(block, size);
            carrier.push(this);
            return;
        }
        home = null;
        owner.memory().freeAddress(block, size);
        carrier = owner.buffers().carrier();
        if (carrier != null) {
            carrier.push(this);
        }
    }

    /** The calling thread's carrier: {@link #home} when this buffer was made on it, else the table's. */
    private BufferRecycler.Carrier currentCarrier() {
        BufferRecycler.Carrier carrier = home;
        return carrier != null && carrier.owner == Thread.currentThread() ? carrier : allocator.buffers().carrier();
    }

    // ---- capacity ----------------------------------------------------------------------------

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public ByteBuf capacity(int newCapacity) {
        checkNewCapacity(newCapacity);
        if (newCapacity <= blockBytes) {
            if (newCapacity < capacity) {
                trimIndicesToCapacity(newCapacity);
            }
            capacity = newCapacity;
            return this;
        }
        NativeAllocator memory = allocator.memory();
        MemorySegment old = segment;
        long oldBlock = address;
        long oldSize = requested;
        long grown = memory.allocateAddress(newCapacity);
        try {
            attach(memory, currentCarrier(), grown, newCapacity);
        } catch (RuntimeException e) {
            memory.freeAddress(grown, newCapacity);
            throw e;
        }
        MemorySegment.copy(old, 0, segment, 0, capacity);
        capacity = newCapacity;
        memory.freeAddress(oldBlock, oldSize);
        return this;
    }

    @Override
    public int maxFastWritableBytes() {
        return Math.min(blockBytes, maxCapacity()) - writerIndex();
    }

    @Override
    public ByteBufAllocator alloc() {
        return allocator;
    }

    @Override
    @Deprecated
    public ByteOrder order() {
        return ByteOrder.BIG_ENDIAN;
    }

    @Override
    public ByteBuf unwrap() {
        return null;
    }

    @Override
    public boolean isDirect() {
        return true;
    }

    @Override
    public boolean isContiguous() {
        return true;
    }

    @Override
    public boolean hasArray() {
        return false;
    }

    @Override
    public byte[] array() {
        throw new UnsupportedOperationException("a segpool buffer is direct: it has no array");
    }

    @Override
    public int arrayOffset() {
        throw new UnsupportedOperationException("a segpool buffer is direct: it has no array");
    }

    @Override
    public boolean hasMemoryAddress() {
        return true;
    }

    @Override
    public long memoryAddress() {
        ensureAccessible();
        return address;
    }
}
