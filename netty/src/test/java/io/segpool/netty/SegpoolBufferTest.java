package io.segpool.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.util.IllegalReferenceCountException;
import io.netty.util.ResourceLeakDetector;
import io.segpool.allocator.AllocatorConfig;
import io.segpool.allocator.NativeAllocator;
import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What only segpool's buffer promises: its block, its one free, its close and its figures. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SegpoolBufferTest {

    private static SegpoolByteBufAllocator newAllocator() {
        return SegpoolByteBufAllocator.create(AllocatorConfig.defaults().withCheckFrees(true));
    }

    private static MemStats stats(SegpoolByteBufAllocator alloc) {
        MemStats stats = new MemStats();
        alloc.readMemStats(stats);
        return stats;
    }

    @Test
    void theAddressIsTheBlocksAndGrowthStaysInItWhileItFits() {
        try (SegpoolByteBufAllocator alloc = newAllocator()) {
            ByteBuf buf = alloc.directBuffer(100, 1 << 20);
            assertTrue(buf.hasMemoryAddress());
            assertTrue(buf.isDirect());
            assertTrue(alloc.isDirectBufferPooled());
            long address = buf.memoryAddress();
            assertEquals(address + 16, MemorySegment.ofBuffer(buf.nioBuffer(16, 8)).address());
            long block = NativeAllocator.blockSize(100);
            assertEquals(block, stats(alloc).inuse());
            buf.writeBytes(new byte[(int) block]);
            assertEquals(address, buf.memoryAddress(), "growth to the block's size re-slices in place");
            assertEquals(block, buf.capacity());
            buf.setLong(0, 0x1122334455667788L);
            buf.writeByte(7);
            assertNotEquals(address, buf.memoryAddress(), "past the block: a new block");
            assertEquals(0x1122334455667788L, buf.getLong(0));
            assertEquals(NativeAllocator.blockSize(buf.capacity()), stats(alloc).inuse(), "the old block was freed");
            assertTrue(buf.release());
            Idle.assertIdle(alloc);
        }
    }

    @Test
    void everyViewKindFreesTheBlockExactlyOnce() {
        ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        try (SegpoolByteBufAllocator alloc = newAllocator()) {
            for (int round = 0; round < 2000; round++) {
                ByteBuf buf = alloc.directBuffer(64 + round % 700);
                assertFalse(buf instanceof SegpoolByteBuf, "paranoid leak detection wraps every buffer");
                assertInstanceOf(SegpoolByteBuf.class, buf.unwrap());
                buf.writeLong(round);
                ByteBuf slice = buf.retainedSlice(0, 8);
                ByteBuf dup = buf.retainedDuplicate();
                CompositeByteBuf composite = alloc.compositeDirectBuffer().addComponent(true, buf.retain());
                ByteBuf readSlice = dup.readRetainedSlice(4);
                for (ByteBuf view : new ByteBuf[] {slice, dup, readSlice}) {
                    assertFalse(view.release(), "a derived buffer shares its parent's count");
                }
                assertTrue(composite.release(), "a composite counts on its own and releases its component once");
                assertEquals(round, buf.getLong(0));
                assertTrue(buf.release());
                assertThrows(IllegalReferenceCountException.class, buf::release);
            }
            MemStats stats = Idle.assertIdle(alloc);
            assertEquals(2000, stats.mallocs());
        } finally {
            ResourceLeakDetector.setLevel(level);
        }
    }

    @Test
    void closeRefusesUnderLiveBuffersAndStopsNewOnes() {
        SegpoolByteBufAllocator alloc = newAllocator();
        ByteBuf live = alloc.directBuffer(512).writeInt(5);
        ByteBuffer view = live.nioBuffer(0, 4);
        IllegalStateException refused = assertThrows(IllegalStateException.class, alloc::close);
        assertTrue(refused.getMessage().contains("still in live buffers"), refused.getMessage());
        assertFalse(alloc.isOpen());
        assertThrows(IllegalStateException.class, () -> alloc.directBuffer(16));
        assertEquals(5, live.getInt(0), "nothing was unmapped under the live buffer");
        assertEquals(5, view.getInt(0));
        assertTrue(live.release());
        alloc.close();
        alloc.close();
        assertThrows(IllegalStateException.class, () -> view.getInt(0), "a view outliving close throws, never crashes");
        assertThrows(IllegalReferenceCountException.class, () -> live.getInt(0));
        assertThrows(IllegalReferenceCountException.class, live::memoryAddress);
    }

    @Test
    void metricsReadSegpoolsFigures() {
        try (SegpoolByteBufAllocator alloc = newAllocator()) {
            ByteBuf[] bufs = new ByteBuf[256];
            for (int i = 0; i < bufs.length; i++) {
                bufs[i] = alloc.directBuffer(4096);
            }
            MemStats stats = stats(alloc);
            assertEquals(stats.sys() - stats.released(), alloc.metric().usedDirectMemory());
            assertEquals(stats.inuse(), alloc.pinnedDirectMemory());
            assertEquals(256L * 4096, alloc.pinnedDirectMemory());
            assertEquals(-1, alloc.metric().usedHeapMemory());
            for (ByteBuf buf : bufs) {
                buf.release();
            }
            assertEquals(0, alloc.pinnedDirectMemory());
            assertTrue(alloc.trim() >= 0);
            stats = Idle.assertIdle(alloc);
            assertEquals(stats.sys() - stats.released(), alloc.metric().usedDirectMemory());
        }
    }

    @Test
    void heapBuffersAreNettysAndAnswerForThisAllocator() {
        try (SegpoolByteBufAllocator alloc = newAllocator()) {
            ByteBuf heap = alloc.heapBuffer(32);
            assertTrue(heap.hasArray());
            assertSame(alloc, heap.alloc());
            heap.writeInt(3);
            ByteBuf direct = alloc.directBuffer(8).writeBytes(heap, 0, 4);
            assertEquals(3, direct.getInt(0));
            ByteBuf copy = direct.copy();
            assertSame(alloc, copy.alloc());
            assertTrue(heap.release() && direct.release() && copy.release());
            Idle.assertIdle(alloc);
        }
    }
}
