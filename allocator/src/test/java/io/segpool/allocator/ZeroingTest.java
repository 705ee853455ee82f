package io.segpool.allocator;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** With zeroing on, no byte of a block's previous owner is visible to the next; off, they are (like malloc). */
class ZeroingTest {

    @Test
    void zeroedBlocksShowNothingOfTheirLastOwner() {
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withZeroed(true))) {
            for (long size : new long[] {16, 100, 4096, 70_000}) {
                MemorySegment secret = allocator.allocate(size).fill((byte) 0x5A);
                long secretAddress = secret.address();
                allocator.free(secret);
                MemorySegment next = allocator.allocate(size);
                assertEquals(secretAddress, next.address(), "the ring hands the same block back");
                assertTrue(next.elements(ValueLayout.JAVA_BYTE).allMatch(b -> b.get(ValueLayout.JAVA_BYTE, 0) == 0),
                        size + "-byte block shows a previous owner's byte");
                allocator.free(next);

                long address = allocator.allocateAddress(size);
                allocator.segment(address, size).fill((byte) 0x5A);
                allocator.freeAddress(address, size);
                long again = allocator.allocateAddress(size);
                assertEquals(address, again);
                assertEquals(-1, allocator.segment(again, size).mismatch(MemorySegment.ofArray(new byte[(int) size])));
                allocator.freeAddress(again, size);
            }
        }
    }

    @Test
    void byDefaultBlocksComeAsTheLastOwnerLeftThem() {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            MemorySegment first = allocator.allocate(64).fill((byte) 0x5A);
            allocator.free(first);
            MemorySegment next = allocator.allocate(64);
            assertEquals(0x5A, next.get(ValueLayout.JAVA_BYTE, 10), "not zeroed: the default, documented");
            allocator.free(next);
        }
    }
}
