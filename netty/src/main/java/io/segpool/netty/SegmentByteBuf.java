package io.segpool.netty;

import io.netty.buffer.AbstractReferenceCountedByteBuf;
import io.netty.buffer.ByteBuf;
import io.netty.util.IllegalReferenceCountException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.ScatteringByteChannel;

/**
 * The half of {@link SegpoolByteBuf} that reads and writes: every primitive in both byte orders,
 * the bulk transfers and the NIO views, all through {@link #segment}, a {@link MemorySegment}
 * over the buffer's block, so that bounds and the allocator's liveness are checked by the FFM
 * API on every access. The block's lifecycle (allocation, growth, release) is the subclass's.
 */
abstract class SegmentByteBuf extends AbstractReferenceCountedByteBuf {

    private static final ValueLayout.OfShort SHORT_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** What a released buffer accesses: every index is out of its bounds, so a late access throws. */
    static final MemorySegment RELEASED = MemorySegment.ofArray(new byte[0]);

    /** The block while the buffer is live, {@link #RELEASED} after. */
    MemorySegment segment = RELEASED;
    /** A buffer over the block for {@link #internalNioBuffer}, or null until asked for; the subclass drops it with the block. */
    ByteBuffer internalNio;

    SegmentByteBuf() {
        super(0);
    }

    // ---- primitives --------------------------------------------------------------------------

    @Override protected byte _getByte(int index) { return segment.get(ValueLayout.JAVA_BYTE, index); }
    @Override protected short _getShort(int index) { return segment.get(SHORT_BE, index); }
    @Override protected short _getShortLE(int index) { return segment.get(SHORT_LE, index); }
    @Override protected int _getInt(int index) { return segment.get(INT_BE, index); }
    @Override protected int _getIntLE(int index) { return segment.get(INT_LE, index); }
    @Override protected long _getLong(int index) { return segment.get(LONG_BE, index); }
    @Override protected long _getLongLE(int index) { return segment.get(LONG_LE, index); }

    @Override
    protected int _getUnsignedMedium(int index) {
        return (segment.get(SHORT_BE, index) & 0xffff) << 8 | segment.get(ValueLayout.JAVA_BYTE, index + 2) & 0xff;
    }

    @Override
    protected int _getUnsignedMediumLE(int index) {
        return segment.get(ValueLayout.JAVA_BYTE, index) & 0xff | (segment.get(SHORT_LE, index + 1) & 0xffff) << 8;
    }

    @Override protected void _setByte(int index, int value) { segment.set(ValueLayout.JAVA_BYTE, index, (byte) value); }
    @Override protected void _setShort(int index, int value) { segment.set(SHORT_BE, index, (short) value); }
    @Override protected void _setShortLE(int index, int value) { segment.set(SHORT_LE, index, (short) value); }
    @Override protected void _setInt(int index, int value) { segment.set(INT_BE, index, value); }
    @Override protected void _setIntLE(int index, int value) { segment.set(INT_LE, index, value); }
    @Override protected void _setLong(int index, long value) { segment.set(LONG_BE, index, value); }
    @Override protected void _setLongLE(int index, long value) { segment.set(LONG_LE, index, value); }

    @Override
    protected void _setMedium(int index, int value) {
        segment.set(ValueLayout.JAVA_BYTE, index, (byte) (value >>> 16));
        segment.set(SHORT_BE, index + 1, (short) value);
    }

    @Override
    protected void _setMediumLE(int index, int value) {
        segment.set(ValueLayout.JAVA_BYTE, index, (byte) value);
        segment.set(SHORT_LE, index + 1, (short) (value >>> 8));
    }

    // ---- bulk transfers ----------------------------------------------------------------------

    @Override
    public ByteBuf getBytes(int index, ByteBuf dst, int dstIndex, int length) {
        checkDstIndex(index, length, dstIndex, dst.capacity());
        if (dst instanceof SegmentByteBuf other) {
            MemorySegment.copy(segment, index, other.segment, dstIndex, length);
        } else if (dst.hasArray()) {
            MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, index, dst.array(), dst.arrayOffset() + dstIndex, length);
        } else if (dst.nioBufferCount() > 0) {
            for (ByteBuffer part : dst.nioBuffers(dstIndex, length)) {
                int n = part.remaining();
                getBytes(index, part);
                index += n;
            }
        } else {
            dst.setBytes(dstIndex, this, index, length);
        }
        return this;
    }

    @Override
    public ByteBuf getBytes(int index, byte[] dst, int dstIndex, int length) {
        checkDstIndex(index, length, dstIndex, dst.length);
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, index, dst, dstIndex, length);
        return this;
    }

    @Override
    public ByteBuf getBytes(int index, ByteBuffer dst) {
        if (dst.isReadOnly()) {
            throw new ReadOnlyBufferException();
        }
        int length = dst.remaining();
        checkIndex(index, length);
        MemorySegment.copy(segment, index, MemorySegment.ofBuffer(dst), 0, length);
        dst.position(dst.position() + length);
        return this;
    }

    @Override
    public ByteBuf getBytes(int index, OutputStream out, int length) throws IOException {
        checkIndex(index, length);
        byte[] chunk = new byte[Math.min(length, 8192)];
        while (length > 0) {
            int n = Math.min(length, chunk.length);
            MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, index, chunk, 0, n);
            out.write(chunk, 0, n);
            index += n;
            length -= n;
        }
        return this;
    }

    @Override
    public int getBytes(int index, GatheringByteChannel out, int length) throws IOException {
        checkIndex(index, length);
        return length == 0 ? 0 : out.write(internalNioBuffer(index, length));
    }

    @Override
    public int getBytes(int index, FileChannel out, long position, int length) throws IOException {
        checkIndex(index, length);
        return length == 0 ? 0 : out.write(internalNioBuffer(index, length), position);
    }

    @Override
    public ByteBuf setBytes(int index, ByteBuf src, int srcIndex, int length) {
        checkSrcIndex(index, length, srcIndex, src.capacity());
        if (src instanceof SegmentByteBuf other) {
            MemorySegment.copy(other.segment, srcIndex, segment, index, length);
        } else if (src.hasArray()) {
            MemorySegment.copy(src.array(), src.arrayOffset() + srcIndex, segment, ValueLayout.JAVA_BYTE, index, length);
        } else if (src.nioBufferCount() == 1) {
            setBytes(index, src.nioBuffer(srcIndex, length));
        } else {
            src.getBytes(srcIndex, this, index, length);
        }
        return this;
    }

    @Override
    public ByteBuf setBytes(int index, byte[] src, int srcIndex, int length) {
        checkSrcIndex(index, length, srcIndex, src.length);
        MemorySegment.copy(src, srcIndex, segment, ValueLayout.JAVA_BYTE, index, length);
        return this;
    }

    @Override
    public ByteBuf setBytes(int index, ByteBuffer src) {
        int length = src.remaining();
        checkIndex(index, length);
        MemorySegment.copy(MemorySegment.ofBuffer(src), 0, segment, index, length);
        src.position(src.limit());
        return this;
    }

    @Override
    public int setBytes(int index, InputStream in, int length) throws IOException {
        checkIndex(index, length);
        byte[] chunk = new byte[length];
        int read = in.read(chunk, 0, length);
        if (read > 0) {
            MemorySegment.copy(chunk, 0, segment, ValueLayout.JAVA_BYTE, index, read);
        }
        return read;
    }

    @Override
    public int setBytes(int index, ScatteringByteChannel in, int length) throws IOException {
        checkIndex(index, length);
        try {
            return in.read(internalNioBuffer(index, length));
        } catch (ClosedChannelException e) {
            return -1;
        }
    }

    @Override
    public int setBytes(int index, FileChannel in, long position, int length) throws IOException {
        checkIndex(index, length);
        try {
            return in.read(internalNioBuffer(index, length), position);
        } catch (ClosedChannelException e) {
            return -1;
        }
    }

    @Override
    public ByteBuf setZero(int index, int length) {
        checkIndex(index, length);
        segment.asSlice(index, length).fill((byte) 0);
        return this;
    }

    @Override
    public ByteBuf copy(int index, int length) {
        checkIndex(index, length);
        ByteBuf copy = alloc().directBuffer(length, maxCapacity());
        return copy.writeBytes(this, index, length);
    }

    // ---- NIO views ---------------------------------------------------------------------------

    @Override
    public int nioBufferCount() {
        return 1;
    }

    @Override
    public ByteBuffer nioBuffer(int index, int length) {
        checkIndex(index, length);
        return segment.asSlice(index, length).asByteBuffer();
    }

    @Override
    public ByteBuffer[] nioBuffers(int index, int length) {
        return new ByteBuffer[] {nioBuffer(index, length)};
    }

    @Override
    public ByteBuffer internalNioBuffer(int index, int length) {
        checkIndex(index, length);
        if (segment == RELEASED) {
            throw new IllegalReferenceCountException(0);
        }
        ByteBuffer view = internalNio;
        if (view == null) {
            view = segment.asByteBuffer();
            internalNio = view;
        }
        view.clear().position(index).limit(index + length);
        return view;
    }
}
