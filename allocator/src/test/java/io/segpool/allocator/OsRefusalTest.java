package io.segpool.allocator;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * When the OS refuses a mapping, the request throws a plain {@link OutOfMemoryError} that names
 * the request and {@code Sys}, after one trim and retry; blocks already handed out keep their
 * contents, {@code Sys} and every other figure stay as they were, blocks that need no mapping are
 * still served, and once the OS maps again the same requests succeed.
 */
class OsRefusalTest {

    /** Sizes held across the refusal: two classes, and a large block. */
    private static final long[] HELD_SIZES = {64, 4096, 3L << 20};
    /** A class no block was taken from yet, so its first block needs a fresh chunk. */
    private static final long FRESH_CLASS_SIZE = 100_000;
    private static final long FRESH_LARGE_SIZE = 2L << 20;

    @Test
    void aRefusedMappingChangesNothingAndTheAllocatorRecovers() {
        FailingMapper mapper = new FailingMapper();
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults(), mapper)) {
            List<MemorySegment> held = new ArrayList<>();
            for (long size : HELD_SIZES) {
                held.add(stamped(allocator.allocate(size)));
            }
            long address = allocator.allocateAddress(256);
            allocator.segment(address, 256).fill((byte) 0x5A);

            mapper.failing(true);
            for (long size : new long[] {FRESH_CLASS_SIZE, FRESH_LARGE_SIZE}) {
                MemStats before = TestSupport.stats(allocator);
                OutOfMemoryError refused = assertThrows(OutOfMemoryError.class, () -> allocator.allocate(size));
                assertSame(OutOfMemoryError.class, refused.getClass(), "not the memory-limit type: " + refused);
                String message = refused.getMessage();
                for (String word : List.of("refused", "errno 12", "Sys stays " + before.sys() + " bytes")) {
                    assertTrue(message.contains(word), "'" + word + "' missing from: " + message);
                }
                assertTrue(refused.getCause().getMessage().contains("injected"), String.valueOf(refused.getCause()));
                assertEquals(before, TestSupport.stats(allocator), "MemStats changed by a refused " + size);
            }
            assertEquals(4, mapper.refused(), "each request tried twice: once, then after a trim");
            // A block in a ring needs no mapping: still served while the OS refuses.
            MemorySegment fromRing = allocator.allocate(64);
            allocator.free(fromRing);

            mapper.failing(false);
            for (MemorySegment block : held) {
                assertStamped(block);
            }
            assertEquals((byte) 0x5A, allocator.segment(address, 256).get(ValueLayout.JAVA_BYTE, 255));
            held.add(stamped(allocator.allocate(FRESH_CLASS_SIZE)));
            held.add(stamped(allocator.allocate(FRESH_LARGE_SIZE)));
            for (MemorySegment block : held) {
                assertStamped(block);
                allocator.free(block);
            }
            allocator.freeAddress(address, 256);
            MemStats end = TestSupport.stats(allocator);
            assertEquals(0, end.inuse());
            TestSupport.assertConserved(end);
            allocator.trim();
            TestSupport.assertConserved(TestSupport.stats(allocator));
        }
    }

    @Test
    void aRefusalUnderAMemoryLimitGivesBackItsReservation() {
        FailingMapper mapper = new FailingMapper();
        long cap = 2L << 20;
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withMemoryLimit(cap), mapper)) {
            mapper.failing(true);
            for (int i = 0; i < 100; i++) {
                assertThrows(OutOfMemoryError.class, () -> allocator.allocate(SizeClasses.MAX_SIZE + 1));
            }
            mapper.failing(false);
            // Had a refusal kept its reservation, the cap would be used up long ago.
            MemorySegment block = allocator.allocate(cap);
            assertEquals(cap, TestSupport.stats(allocator).sys());
            allocator.free(block);
        }
    }

    private static MemorySegment stamped(MemorySegment block) {
        for (long i = 0; i + 8 <= block.byteSize(); i += 512) {
            block.set(ValueLayout.JAVA_LONG_UNALIGNED, i, block.address() ^ i);
        }
        return block;
    }

    private static void assertStamped(MemorySegment block) {
        for (long i = 0; i + 8 <= block.byteSize(); i += 512) {
            assertEquals(block.address() ^ i, block.get(ValueLayout.JAVA_LONG_UNALIGNED, i),
                    "block 0x" + Long.toHexString(block.address()) + " changed at " + i);
        }
    }
}
