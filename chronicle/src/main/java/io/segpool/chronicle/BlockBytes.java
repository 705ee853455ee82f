package io.segpool.chronicle;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.PointerBytesStore;

/**
 * A Chronicle Bytes view of any segpool block, without copying and without garbage per use: one
 * {@link PointerBytesStore} and one {@link Bytes} over it, re-pointed at each block. Keep one per
 * thread (it is not thread-safe, like the Bytes it wraps).
 *
 * <pre>{@code
 * BlockBytes view = new BlockBytes();
 * long block = allocator.allocateAddress(64);
 * view.write(block, 64).writeLong(orderId).writeInt(instrument);
 * long id = view.read(block, 64).readLong();
 * }</pre>
 *
 * The view is valid until the next {@code write}/{@code read} or until the block is freed: a
 * Chronicle view is a raw pointer, so unlike a segpool {@code MemorySegment} it does not notice
 * that the block's memory went back to the OS. Chronicle needs JVM flags on JDK 25: see the README.
 */
public final class BlockBytes {

    private final PointerBytesStore store = new PointerBytesStore();
    /** Made at the first use, over the first block: Chronicle refuses a view of address 0. */
    private Bytes<Void> bytes;

    /** A view with no block yet; one per thread, reused for every block it touches. */
    public BlockBytes() {
    }

    /**
     * The block at {@code address}, {@code size} bytes, ready to write from offset 0.
     *
     * @param address the block's address, from {@code NativeAllocator.allocateAddress}
     * @param size the bytes of the block to view
     * @return this view's Chronicle {@code Bytes}, positioned to write
     * @throws IllegalArgumentException if {@code address} is 0 or {@code size} negative
     */
    public Bytes<Void> write(long address, long size) {
        point(address, size);
        bytes.writePosition(0);
        bytes.writeLimit(size);
        return bytes;
    }

    /**
     * The block at {@code address}, {@code size} bytes, all readable from offset 0.
     *
     * @param address the block's address, from {@code NativeAllocator.allocateAddress}
     * @param size the bytes of the block to view
     * @return this view's Chronicle {@code Bytes}, positioned to read all {@code size} bytes
     * @throws IllegalArgumentException if {@code address} is 0 or {@code size} negative
     */
    public Bytes<Void> read(long address, long size) {
        point(address, size);
        bytes.readPositionRemaining(0, size);
        return bytes;
    }

    private void point(long address, long size) {
        if (address == 0 || size < 0) {
            throw new IllegalArgumentException("block 0x" + Long.toHexString(address) + " of " + size
                    + " bytes: a view needs a block's non-zero address and a size of 0 or more");
        }
        store.set(address, size);
        if (bytes == null) {
            bytes = store.bytesForWrite();
        }
        bytes.clear();
    }
}
