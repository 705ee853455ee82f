package io.segpool.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs the same random operations on a segpool buffer and on a buffer of Netty's
 * {@link PooledByteBufAllocator}, the oracle, and requires the same result from each: the value
 * read, or the class of the exception thrown (a bounds check, a bad argument), and at the end the
 * same bytes, indices and capacity. Indices are drawn around the capacity so that both ends of
 * every width are tried in both byte orders.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DifferentialContractTest {

    private static SegpoolByteBufAllocator segpool;
    private static final PooledByteBufAllocator POOLED = new PooledByteBufAllocator(true);

    @BeforeAll
    static void open() {
        segpool = SegpoolByteBufAllocator.create();
    }

    @AfterAll
    static void close() {
        Idle.assertIdle(segpool);
        segpool.close();
    }

    /** One operation, given the buffer and a random source seeded alike for both buffers. */
    private interface Op {
        Object apply(ByteBuf buf, Random r);
    }

    private static int index(ByteBuf b, Random r, int width) {
        int cap = b.capacity();
        return switch (r.nextInt(4)) {
            case 0 -> cap - width + r.nextInt(3) - 1; // around the end: last fit, and one past
            case 1 -> r.nextInt(3) - 1;              // around the start, -1 included
            default -> cap == 0 ? 0 : r.nextInt(cap);
        };
    }

    private static final List<Op> OPS = List.of(
            (b, r) -> b.getByte(index(b, r, 1)),
            (b, r) -> b.getUnsignedByte(index(b, r, 1)),
            (b, r) -> b.getBoolean(index(b, r, 1)),
            (b, r) -> b.getShort(index(b, r, 2)),
            (b, r) -> b.getShortLE(index(b, r, 2)),
            (b, r) -> b.getUnsignedShort(index(b, r, 2)),
            (b, r) -> b.getUnsignedShortLE(index(b, r, 2)),
            (b, r) -> b.getMedium(index(b, r, 3)),
            (b, r) -> b.getMediumLE(index(b, r, 3)),
            (b, r) -> b.getUnsignedMedium(index(b, r, 3)),
            (b, r) -> b.getUnsignedMediumLE(index(b, r, 3)),
            (b, r) -> b.getInt(index(b, r, 4)),
            (b, r) -> b.getIntLE(index(b, r, 4)),
            (b, r) -> b.getUnsignedInt(index(b, r, 4)),
            (b, r) -> b.getUnsignedIntLE(index(b, r, 4)),
            (b, r) -> b.getLong(index(b, r, 8)),
            (b, r) -> b.getLongLE(index(b, r, 8)),
            (b, r) -> b.getChar(index(b, r, 2)),
            (b, r) -> b.getFloat(index(b, r, 4)),
            (b, r) -> b.getDouble(index(b, r, 8)),
            (b, r) -> b.setByte(index(b, r, 1), r.nextInt()).getByte(0),
            (b, r) -> b.setBoolean(index(b, r, 1), r.nextBoolean()).capacity(),
            (b, r) -> b.setShort(index(b, r, 2), r.nextInt()).capacity(),
            (b, r) -> b.setShortLE(index(b, r, 2), r.nextInt()).capacity(),
            (b, r) -> b.setMedium(index(b, r, 3), r.nextInt()).capacity(),
            (b, r) -> b.setMediumLE(index(b, r, 3), r.nextInt()).capacity(),
            (b, r) -> b.setInt(index(b, r, 4), r.nextInt()).capacity(),
            (b, r) -> b.setIntLE(index(b, r, 4), r.nextInt()).capacity(),
            (b, r) -> b.setLong(index(b, r, 8), r.nextLong()).capacity(),
            (b, r) -> b.setLongLE(index(b, r, 8), r.nextLong()).capacity(),
            (b, r) -> b.setChar(index(b, r, 2), r.nextInt()).capacity(),
            (b, r) -> b.setFloat(index(b, r, 4), r.nextFloat()).capacity(),
            (b, r) -> b.setDouble(index(b, r, 8), r.nextDouble()).capacity(),
            (b, r) -> b.writeByte(r.nextInt()).writerIndex(),
            (b, r) -> b.writeShortLE(r.nextInt()).writerIndex(),
            (b, r) -> b.writeMedium(r.nextInt()).writerIndex(),
            (b, r) -> b.writeInt(r.nextInt()).writerIndex(),
            (b, r) -> b.writeLongLE(r.nextLong()).writerIndex(),
            (b, r) -> b.writeBytes(randomBytes(r, r.nextInt(300))).writerIndex(),
            (b, r) -> b.readableBytes() >= 8 ? b.readLong() : b.readableBytes(),
            (b, r) -> b.readableBytes() >= 3 ? b.readUnsignedMediumLE() : b.readableBytes(),
            (b, r) -> b.readableBytes() >= 4 ? b.readIntLE() : b.readableBytes(),
            (b, r) -> {
                byte[] dst = new byte[r.nextInt(64)];
                int off = dst.length == 0 ? 0 : r.nextInt(dst.length);
                b.getBytes(index(b, r, dst.length - off), dst, off, dst.length - off);
                return ByteBufUtil.hexDump(dst);
            },
            (b, r) -> {
                byte[] src = randomBytes(r, r.nextInt(64));
                return b.setBytes(index(b, r, src.length), src).capacity();
            },
            (b, r) -> {
                ByteBuffer src = r.nextBoolean() ? ByteBuffer.wrap(randomBytes(r, r.nextInt(64)))
                        : ByteBuffer.allocateDirect(r.nextInt(64));
                while (src.hasRemaining() && src.isDirect()) {
                    src.put((byte) r.nextInt());
                }
                src.flip();
                b.setBytes(index(b, r, src.remaining()), src);
                return src.position();
            },
            (b, r) -> {
                int n = r.nextInt(64);
                ByteBuffer dst = r.nextBoolean() ? ByteBuffer.allocate(n) : ByteBuffer.allocateDirect(n);
                b.getBytes(index(b, r, n), dst);
                return dst.position() + ":" + ByteBufUtil.hexDump(Unpooled.wrappedBuffer(dst.flip()));
            },
            (b, r) -> {
                ByteBuf src = b.alloc().directBuffer(64).writeBytes(randomBytes(r, 64));
                try {
                    int n = r.nextInt(65);
                    return b.setBytes(index(b, r, n), src, r.nextInt(65 - n), n).capacity();
                } finally {
                    src.release();
                }
            },
            (b, r) -> {
                ByteBuf dst = r.nextBoolean() ? b.alloc().directBuffer(64, 64) : Unpooled.buffer(64, 64);
                try {
                    int n = r.nextInt(65);
                    b.getBytes(index(b, r, n), dst, r.nextInt(65 - n), n);
                    return ByteBufUtil.hexDump(dst, 0, 64);
                } finally {
                    dst.release();
                }
            },
            (b, r) -> b.setBytes(index(b, r, 32), Unpooled.wrappedBuffer(randomBytes(r, 32))).capacity(),
            (b, r) -> b.setZero(index(b, r, 16), 16).capacity(),
            (b, r) -> b.indexOf(0, b.capacity(), (byte) r.nextInt(4)),
            (b, r) -> b.bytesBefore((byte) r.nextInt(4)),
            (b, r) -> {
                int i = index(b, r, 8);
                return b.slice(i, 8).getLong(0);
            },
            (b, r) -> {
                ByteBuf d = b.duplicate();
                return d.readerIndex() + ":" + d.writerIndex() + ":" + d.capacity() + ":" + d.getInt(index(b, r, 4));
            },
            (b, r) -> {
                int i = index(b, r, 24);
                ByteBuffer view = b.nioBuffer(i, 24);
                return view.order() + ":" + view.getLong(8) + ":" + view.remaining();
            },
            (b, r) -> {
                int i = index(b, r, 12);
                ByteBuffer view = b.internalNioBuffer(i, 12);
                return view.remaining() + ":" + view.getInt(view.position() + 4);
            },
            (b, r) -> {
                int i = index(b, r, 20);
                ByteBuf copy = b.copy(i, 20);
                try {
                    return ByteBufUtil.hexDump(copy) + copy.isDirect();
                } finally {
                    copy.release();
                }
            },
            (b, r) -> b.capacity(Math.max(0, b.capacity() + r.nextInt(200) - 60)).capacity(),
            (b, r) -> b.discardReadBytes().readerIndex() + ":" + b.writerIndex(),
            (b, r) -> b.readerIndex(r.nextInt(b.writerIndex() + 2)).readerIndex(),
            (b, r) -> b.writerIndex(Math.max(0, b.readerIndex() + r.nextInt(80) - 4)).writerIndex(),
            (b, r) -> b.ensureWritable(r.nextInt(600), r.nextBoolean()),
            (b, r) -> b.toString(0, Math.min(b.capacity(), 16), StandardCharsets.ISO_8859_1),
            (b, r) -> b.hashCode(),
            (b, r) -> b.isDirect() + ":" + b.nioBufferCount() + ":" + b.isReadable() + ":" + b.maxCapacity());

    private static byte[] randomBytes(Random r, int n) {
        byte[] bytes = new byte[n];
        r.nextBytes(bytes);
        return bytes;
    }

    private static Object run(Op op, ByteBuf buf, long seed) {
        try {
            return op.apply(buf, new Random(seed));
        } catch (RuntimeException e) {
            return e.getClass().getName();
        }
    }

    /**
     * Zeroes what growing exposed (bytes past the old capacity and the writer index are
     * undefined in both allocators), then gives both buffers the larger capacity, since the two
     * allocators grow by different steps; later reads then compare defined bytes only.
     */
    private static void align(ByteBuf a, int capA, ByteBuf b, int capB) {
        zeroGrown(a, capA);
        zeroGrown(b, capB);
        int cap = Math.max(a.capacity(), b.capacity());
        for (ByteBuf buf : new ByteBuf[] {a, b}) {
            int before = buf.capacity();
            zeroGrown(buf.capacity(cap), before);
        }
    }

    private static void zeroGrown(ByteBuf buf, int before) {
        int from = Math.max(before, buf.writerIndex());
        if (buf.capacity() > from) {
            buf.setZero(from, buf.capacity() - from);
        }
    }

    @ParameterizedTest(name = "initial capacity {0}")
    @ValueSource(ints = {0, 7, 64, 256, 1000, 4096, 70_000})
    void segpoolAnswersAsPooled(int initialCapacity) {
        Random master = new Random(0x5e9_9001L + initialCapacity);
        ByteBuf a = segpool.directBuffer(initialCapacity, 1 << 20);
        ByteBuf b = POOLED.directBuffer(initialCapacity, 1 << 20);
        try {
            a.setZero(0, a.capacity());
            b.setZero(0, b.capacity());
            int refused = 0;
            for (int step = 0; step < 4000; step++) {
                int which = master.nextInt(OPS.size());
                long seed = master.nextLong();
                int capA = a.capacity();
                int capB = b.capacity();
                Object expected = run(OPS.get(which), b, seed);
                Object actual = run(OPS.get(which), a, seed);
                int at = step;
                assertEquals(String.valueOf(expected), String.valueOf(actual), () -> "op " + which + " at step " + at);
                if (String.valueOf(expected).startsWith("java.")) {
                    refused++;
                }
                align(a, capA, b, capB);
                assertEquals(b.readerIndex(), a.readerIndex(), "readerIndex");
                assertEquals(b.writerIndex(), a.writerIndex(), "writerIndex");
            }
            assertEquals(ByteBufUtil.hexDump(b, 0, b.capacity()), ByteBufUtil.hexDump(a, 0, a.capacity()));
            // Both ends are probed, so some operations are refused, but most must do work.
            assertTrue(refused > 100 && refused < 2000, "refused " + refused + " of 4000");
        } finally {
            a.release();
            b.release();
        }
    }

    static ByteBufAllocator segpool() {
        return segpool;
    }
}
