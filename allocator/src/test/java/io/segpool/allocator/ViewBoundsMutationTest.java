package io.segpool.allocator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@code segment(address, size)} of a live class block: at any address inside the block, a view
 * that ends at the block's end exactly is given, and one byte more is refused with a message that
 * names the block's start (hex), its size and how far the address is from its end. Checked over a
 * whole chunk of each class, with the chunk not at the heap's start, for classes whose chunks span
 * one to sixteen 64 KiB grains: at both ends of a sample of blocks, at every 16-byte step of a
 * smaller sample, and around every grain boundary, where the block holding an address starts in
 * an earlier grain than the address.
 * Interior addresses on a 64-byte boundary are probed too: the view check must not take them
 * for a block start (issue 17, defect 1).
 */
@Timeout(60)
class ViewBoundsMutationTest {

    private NativeAllocator allocator;

    @BeforeEach
    void setUp() {
        allocator = NativeAllocator.create();
        allocator.allocateAddress(64); // the heap's first chunk: every class below starts further on
    }

    @AfterEach
    void tearDown() {
        allocator.close();
    }

    @ParameterizedTest(name = "{0}-byte blocks")
    @ValueSource(longs = {16, 48, 80, 208, 1152, 106_496, 1L << 20})
    void everyViewEndsInsideItsBlock(long blockSize) {
        assertEquals(blockSize, NativeAllocator.blockSize(blockSize));
        int count = SizeClasses.blocksPerChunk(SizeClasses.classOf(blockSize));
        long[] blocks = new long[count];
        for (int i = 0; i < count; i++) {
            blocks[i] = allocator.allocateAddress(blockSize);
        }
        long chunk = blocks[0];
        long chunkEnd = chunk + count * blockSize;
        assertEquals(chunkEnd - blockSize, blocks[count - 1], "a whole chunk, in address order");
        assertEquals(0, (chunk - allocator.heap.base) % Heap.GRAIN);

        TreeSet<Long> probes = new TreeSet<>();
        for (int i = 0; i < count; i++) {
            long block = blocks[i];
            if (i % 7 == 0 || count <= 512) {
                probes.add(block);
                probes.add(block + blockSize - 1);
            }
            if (i % 37 == 0 || count <= 16) {
                long step = Math.max(16, blockSize / 64 & -16);
                for (long at = 16; at < blockSize; at += step) {
                    probes.add(block + at);
                }
            }
        }
        for (long grain = chunk + Heap.GRAIN; grain < chunkEnd; grain += Heap.GRAIN) {
            for (long near : new long[] {-17, -16, -1, 0, 1, 16, 48}) {
                probes.add(grain + near);
            }
        }
        for (long address : probes) {
            long index = (address - chunk) / blockSize;
            long start = chunk + index * blockSize;
            long room = start + blockSize - address;
            MemorySegment view = allocator.segment(address, room);
            assertEquals(address, view.address());
            assertEquals(room, view.byteSize());
            IllegalArgumentException past = assertThrows(IllegalArgumentException.class,
                    () -> allocator.segment(address, room + 1), () -> "a view past the block at 0x" + Long.toHexString(address));
            assertEquals("segment(0x" + Long.toHexString(address) + ", " + (room + 1) + "): the view must lie inside"
                    + " one block, and the block at 0x" + Long.toHexString(start) + " holds " + blockSize
                    + " bytes, which end " + room + " bytes after the address", past.getMessage());
        }
        for (long block : blocks) {
            allocator.freeAddress(block, blockSize);
        }
    }
}
