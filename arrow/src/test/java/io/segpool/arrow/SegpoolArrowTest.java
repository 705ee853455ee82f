package io.segpool.arrow;

import io.segpool.allocator.AllocatorConfig;
import io.segpool.allocator.MemoryLimitException;
import io.segpool.stats.MemStats;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The factory's contract with Arrow, on real Arrow allocators and vectors. */
class SegpoolArrowTest {

    private static MemStats stats(SegpoolArrow memory) {
        MemStats stats = new MemStats();
        memory.readMemStats(stats);
        return stats;
    }

    @Test
    void sizeIsWhatArrowAccountedAndEveryBufferIs64ByteAligned() {
        try (SegpoolArrow memory = SegpoolArrow.create()) {
            try (BufferAllocator root = memory.newRootAllocator(Long.MAX_VALUE)) {
                List<ArrowBuf> buffers = new ArrayList<>();
                long expected = 0;
                for (long size : new long[] {1, 7, 16, 32, 33, 64, 100, 1000, 4096, 65_537, 1 << 20, (1 << 20) + 1, 3 << 20}) {
                    ArrowBuf buf = root.buffer(size);
                    buffers.add(buf);
                    long accounted = buf.getReferenceManager().getAccountedSize();
                    assertEquals(buf.getReferenceManager().getSize(), accounted, "getSize() for " + size);
                    assertTrue(accounted >= size, "accounted " + accounted + " for " + size);
                    assertEquals(0, buf.memoryAddress() % SegpoolArrow.ALIGNMENT, "alignment of a " + size + " B buffer");
                    buf.setByte(size - 1, 0x5A); // the last byte Arrow handed out is writable
                    expected += accounted;
                    assertEquals(expected, root.getAllocatedMemory());
                }
                assertEquals(buffers.size(), memory.liveBuffers());
                buffers.forEach(ArrowBuf::close);
                assertEquals(0, root.getAllocatedMemory(), "Arrow's accountant back to zero, not negative");
                assertEquals(0, memory.liveBuffers());
            }
            MemStats stats = stats(memory);
            assertEquals(0, stats.inuse());
            assertEquals(stats.mallocs(), stats.frees());
            assertTrue(stats.mallocs() >= 13, "segpool served the buffers: " + stats.mallocs());
        }
    }

    @Test
    void childrenInheritTheFactoryAndSlicesShareOneBlock() {
        try (SegpoolArrow memory = SegpoolArrow.create();
             BufferAllocator root = memory.newRootAllocator(Long.MAX_VALUE);
             BufferAllocator child = root.newChildAllocator("child", 0, Long.MAX_VALUE);
             BufferAllocator other = root.newChildAllocator("other", 0, Long.MAX_VALUE)) {
            ArrowBuf buf = child.buffer(4096);
            assertEquals(1, memory.liveBuffers());
            ArrowBuf slice = buf.slice(64, 128);
            slice.getReferenceManager().retain();
            ArrowBuf moved = buf.getReferenceManager().transferOwnership(buf, other).getTransferredBuffer();
            buf.close();
            assertEquals(1, memory.liveBuffers(), "a slice and a transfer are the same block");
            slice.close();
            assertEquals(1, memory.liveBuffers());
            moved.close();
            assertEquals(0, memory.liveBuffers());
            assertEquals(1, stats(memory).frees(), "exactly one free for the block");
        }
    }

    @Test
    void segpoolsLimitIsArrowsOutOfMemorySoAllocateNewSafeReturnsFalse() {
        try (SegpoolArrow memory = SegpoolArrow.create(AllocatorConfig.defaults().withMemoryLimit(16L << 20));
             BufferAllocator root = memory.newRootAllocator(Long.MAX_VALUE)) {
            OutOfMemoryException e = assertThrows(OutOfMemoryException.class, () -> root.buffer(64L << 20));
            assertInstanceOf(MemoryLimitException.class, e.getCause());
            assertEquals(0, root.getAllocatedMemory(), "Arrow gave the refused bytes back to its accountant");
            assertEquals(0, memory.liveBuffers());
            try (IntVector ints = new IntVector("ints", root)) {
                ints.setInitialCapacity(32 << 20);
                assertFalse(ints.allocateNewSafe(), "128 MiB of ints under a 16 MiB segpool limit");
                ints.setInitialCapacity(1024);
                assertTrue(ints.allocateNewSafe(), "a small vector still fits");
                ints.setSafe(1023, 42);
                assertEquals(42, ints.get(1023));
            }
            assertEquals(0, root.getAllocatedMemory());
        }
    }

    @Test
    void closeWithLiveBuffersThrowsKeepsThemUsableAndTheLastReleaseUnmaps() {
        SegpoolArrow memory = SegpoolArrow.create();
        BufferAllocator root = memory.newRootAllocator(Long.MAX_VALUE);
        VarCharVector names = new VarCharVector("names", root);
        names.allocateNew(1000);
        IllegalStateException refused = assertThrows(IllegalStateException.class, memory::close);
        assertTrue(refused.getMessage().contains("still live"), refused.getMessage());
        assertFalse(memory.isOpen());
        assertThrows(IllegalStateException.class, () -> root.buffer(64), "no new buffer after close");
        for (int i = 0; i < 1000; i++) {
            names.setSafe(i, ("row-" + i).getBytes(StandardCharsets.UTF_8));
        }
        names.setValueCount(1000);
        assertEquals("row-999", new String(names.get(999), StandardCharsets.UTF_8), "the live vector's memory is still mapped");
        stats(memory); // still readable: nothing was unmapped
        names.close();
        assertEquals(0, memory.liveBuffers());
        assertThrows(IllegalStateException.class, () -> stats(memory), "the last release unmapped the allocator");
        root.close();
        memory.close(); // idempotent once unmapped
    }

    @Test
    void closingTheRootTrimsWhenNothingIsLive() {
        try (SegpoolArrow memory = SegpoolArrow.create(AllocatorConfig.defaults())) {
            BufferAllocator keep = memory.newRootAllocator(Long.MAX_VALUE);
            ArrowBuf pinned = keep.buffer(1024);
            BufferAllocator root = memory.newRootAllocator(Long.MAX_VALUE);
            List<ArrowBuf> buffers = new ArrayList<>();
            for (int i = 0; i < 256; i++) {
                ArrowBuf buf = root.buffer(256 << 10);
                buf.setZero(0, buf.capacity()); // touch the pages
                buffers.add(buf);
            }
            buffers.forEach(ArrowBuf::close);
            root.close();
            assertEquals(0, stats(memory).released(), "another root's buffer is live: no trim");
            pinned.close();
            keep.close();
            MemStats after = stats(memory);
            assertTrue(after.released() >= 48L << 20, "root close trimmed: released " + after.released());
            assertTrue(after.sys() - after.released() < 16L << 20, "resident after close: " + (after.sys() - after.released()));
        }
    }

    /**
     * The closing thread freed the batch's buffers into its own rings, which grow to hold four
     * large blocks and which no trim reaches while the thread lives: the root's close flushes
     * them first, so nothing stays resident.
     */
    @Test
    void closingTheRootGivesBackWhatTheClosingThreadsRingsHeld() {
        try (SegpoolArrow memory = SegpoolArrow.create(AllocatorConfig.defaults())) {
            BufferAllocator root = memory.newRootAllocator(Long.MAX_VALUE);
            List<ArrowBuf> buffers = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                buffers.add(root.buffer(1 << 20));
            }
            buffers.forEach(ArrowBuf::close);
            MemStats held = stats(memory);
            assertEquals(4L << 20, held.cached(), "the closing thread's large ring kept all four\n" + held);
            root.close();
            MemStats after = stats(memory);
            assertEquals(0, after.cached(), "the root's close flushed the closing thread's rings\n" + after);
            assertEquals(after.sys(), after.released(), "and trimmed everything: nothing resident\n" + after);
        }
    }
}
