package io.segpool.chronicle;

import io.segpool.allocator.NativeAllocator;
import net.openhft.chronicle.bytes.Bytes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.BufferOverflowException;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The view over real segpool blocks, against what the same blocks read as MemorySegments. */
class BlockBytesTest {

    private final NativeAllocator allocator = NativeAllocator.create();
    private final BlockBytes view = new BlockBytes();

    @AfterEach
    void close() {
        allocator.close();
    }

    @Test
    void writesThroughTheViewLandInTheBlock() {
        long block = allocator.allocateAddress(64);
        view.write(block, 64).writeLong(0x1122334455667788L).writeInt(-7).writeLong(99);
        MemorySegment segment = allocator.segment(block, 64);
        assertEquals(0x1122334455667788L, segment.get(JAVA_LONG, 0));
        assertEquals(-7, segment.get(JAVA_INT, 8));
        assertEquals(99, segment.get(JAVA_LONG_UNALIGNED, 12));
        allocator.freeAddress(block, 64);
    }

    @Test
    void readsSeeWhatTheBlockHolds() {
        long block = allocator.allocateAddress(32);
        MemorySegment segment = allocator.segment(block, 32);
        segment.set(JAVA_LONG, 0, 42);
        segment.set(JAVA_LONG, 24, -1);
        Bytes<Void> bytes = view.read(block, 32);
        assertEquals(32, bytes.readRemaining());
        assertEquals(42, bytes.readLong());
        assertEquals(-1, bytes.readLong(24));
        allocator.freeAddress(block, 32);
    }

    @Test
    void reusedViewFollowsEachBlockWithItsOwnSize() {
        long first = allocator.allocateAddress(64);
        long second = allocator.allocateAddress(128);
        view.write(first, 64).writeLong(1);
        view.write(second, 128).writeLong(2);
        assertEquals(1, view.read(first, 64).readLong());
        Bytes<Void> bytes = view.read(second, 128);
        assertEquals(128, bytes.readRemaining());
        assertEquals(2, bytes.readLong());
        assertEquals(first, view.read(first, 64).addressForRead(0));
        allocator.freeAddress(first, 64);
        allocator.freeAddress(second, 128);
    }

    @Test
    void writesStopAtTheBlocksEnd() {
        long block = allocator.allocateAddress(16);
        long after = allocator.allocateAddress(16);
        allocator.segment(after, 16).set(JAVA_LONG, 0, 5);
        Bytes<Void> bytes = view.write(block, 16).writeLong(1).writeLong(2);
        assertThrows(BufferOverflowException.class, () -> bytes.writeByte((byte) 3));
        assertEquals(5, allocator.segment(after, 16).get(JAVA_LONG, 0), "the neighbour block is untouched");
        allocator.freeAddress(block, 16);
        allocator.freeAddress(after, 16);
    }

    @Test
    void refusesAddressZeroAndNegativeSizes() {
        long block = allocator.allocateAddress(16);
        assertThrows(IllegalArgumentException.class, () -> view.write(0, 16));
        assertThrows(IllegalArgumentException.class, () -> view.read(0, 16));
        assertThrows(IllegalArgumentException.class, () -> view.write(block, -1));
        allocator.freeAddress(block, 16);
    }

    @Test
    void rePointingMakesNoGarbage() {
        long block = allocator.allocateAddress(64);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (int i = 0; i < 50_000; i++) { // warm up: the JIT's own first compilations allocate
            sum += roundTrip(block, i);
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 100_000; i++) {
            sum += roundTrip(block, i);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(sum != 0);
        // 100,000 round trips: a single object per use would be at least 1.6 MB.
        assertTrue(allocated < 100_000, "100,000 view round trips allocated " + allocated + " B on the heap");
        allocator.freeAddress(block, 64);
    }

    private long roundTrip(long block, int i) {
        view.write(block, 64).writeLong(i).writeInt(i);
        return view.read(block, 64).readLong();
    }
}
