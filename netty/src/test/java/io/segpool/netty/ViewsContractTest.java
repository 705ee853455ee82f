package io.segpool.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.IllegalReferenceCountException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reference counts, derived buffers, composites and NIO views, asserted alike for segpool's
 * buffer and for Netty's pooled one (the oracle): a test that fails on the pooled allocator too
 * is a wrong test, not a segpool bug.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ViewsContractTest {

    private static SegpoolByteBufAllocator segpool;

    @BeforeAll
    static void open() {
        segpool = SegpoolByteBufAllocator.create();
    }

    @AfterAll
    static void close() {
        Idle.assertIdle(segpool);
        segpool.close();
    }

    static List<ByteBufAllocator> allocators() {
        return List.of(segpool, new PooledByteBufAllocator(true));
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("allocators")
    void referenceCountsEndInOneRelease(ByteBufAllocator alloc) {
        ByteBuf buf = alloc.directBuffer(128);
        buf.writeLong(42);
        assertEquals(1, buf.refCnt());
        buf.retain(2);
        assertFalse(buf.release());
        assertFalse(buf.release());
        assertTrue(buf.release());
        assertEquals(0, buf.refCnt());
        assertThrows(IllegalReferenceCountException.class, () -> buf.getLong(0));
        assertThrows(IllegalReferenceCountException.class, () -> buf.setInt(0, 1));
        assertThrows(IllegalReferenceCountException.class, () -> buf.nioBuffer(0, 8));
        assertThrows(IllegalReferenceCountException.class, buf::release);
        assertThrows(IllegalReferenceCountException.class, buf::retain);
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("allocators")
    void slicesAndDuplicatesShareTheBlockAndItsCount(ByteBufAllocator alloc) {
        ByteBuf buf = alloc.directBuffer(64);
        buf.writeBytes(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        ByteBuf slice = buf.slice(2, 4);
        ByteBuf dup = buf.duplicate();
        assertEquals(0x03040506, slice.getInt(0));
        slice.setByte(0, 9);
        assertEquals(9, buf.getByte(2));
        assertEquals(9, dup.getByte(2));
        assertEquals(1, slice.refCnt());
        ByteBuf retainedSlice = buf.retainedSlice(1, 2);
        ByteBuf retainedDup = buf.retainedDuplicate();
        ByteBuf readSlice = buf.readRetainedSlice(3);
        assertEquals(4, buf.refCnt());
        assertEquals(0x0209, retainedSlice.getShort(0));
        assertEquals(8, retainedDup.readableBytes());
        assertEquals(5, buf.readableBytes());
        // A retained derivative may count on its own (Netty's pooled ones do) or share the
        // parent's count (AbstractByteBuf's): either way, releasing all three leaves the parent at 1.
        retainedSlice.release();
        readSlice.release();
        retainedDup.release();
        assertEquals(1, buf.refCnt());
        assertTrue(slice.release(), "a plain slice releases its parent");
        assertEquals(0, buf.refCnt());
        assertThrows(IllegalReferenceCountException.class, () -> dup.getByte(0));
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("allocators")
    void compositeReleasesEveryComponent(ByteBufAllocator alloc) {
        CompositeByteBuf composite = alloc.compositeDirectBuffer();
        ByteBuf a = alloc.directBuffer(16).writeInt(0x01020304);
        ByteBuf b = alloc.directBuffer(16).writeInt(0x05060708);
        ByteBuf c = alloc.directBuffer(16).writeShort(0x090a);
        composite.addComponents(true, a, b, c.retainedSlice());
        c.release();
        assertEquals(10, composite.readableBytes());
        assertEquals(0x0304050607080000L | 0x090aL, composite.getLong(2) & 0xffffffffffff0000L | composite.getShort(8));
        ByteBuffer[] views = composite.nioBuffers();
        assertEquals(3, views.length);
        assertTrue(composite.release());
        assertEquals(0, a.refCnt());
        assertEquals(0, b.refCnt());
        assertEquals(0, c.refCnt());
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("allocators")
    void nioViewsShareMemoryAndKeepTheirOwnPositions(ByteBufAllocator alloc) {
        ByteBuf buf = alloc.directBuffer(256);
        try {
            buf.writeZero(256);
            assertEquals(1, buf.nioBufferCount());
            ByteBuffer view = buf.nioBuffer(16, 32);
            assertTrue(view.isDirect());
            assertEquals(0, view.position());
            assertEquals(32, view.remaining());
            view.putInt(4, 0xcafebabe);
            assertEquals(0xcafebabe, buf.getInt(20));
            buf.setLong(24, 77);
            assertEquals(77, view.getLong(8));
            ByteBuffer other = buf.nioBuffer(16, 32);
            assertNotSame(view, other);
            view.position(10);
            assertEquals(0, other.position());
            ByteBuffer internal = buf.internalNioBuffer(100, 8);
            assertEquals(100, internal.position());
            assertEquals(108, internal.limit());
            assertEquals(1, buf.nioBuffers(0, 256).length);
            assertThrows(IndexOutOfBoundsException.class, () -> buf.nioBuffer(250, 7));
        } finally {
            buf.release();
        }
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("allocators")
    void growthKeepsTheBytesAndRespectsMaxCapacity(ByteBufAllocator alloc) {
        ByteBuf buf = alloc.directBuffer(256, 64 << 10);
        try {
            for (int i = 0; i < (64 << 10) / 8; i++) {
                buf.writeLong(i);
            }
            assertEquals(64 << 10, buf.capacity());
            for (int i = 0; i < (64 << 10) / 8; i++) {
                assertEquals(i, buf.getLong(i * 8));
            }
            assertThrows(IndexOutOfBoundsException.class, () -> buf.writeByte(1));
            buf.capacity(100);
            assertEquals(100, buf.writerIndex());
            assertEquals(11, buf.getLong(88));
        } finally {
            buf.release();
        }
    }
}
