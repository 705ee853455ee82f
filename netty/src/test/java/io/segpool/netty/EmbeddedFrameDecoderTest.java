package io.segpool.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.segpool.allocator.AllocatorConfig;
import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Netty's {@link LengthFieldBasedFrameDecoder} on an {@link EmbeddedChannel} whose allocator is
 * segpool's, fed 100,000 frames in 16 KiB chunks that segpool's allocator made, as a socket read
 * would hand them over. The decoder's cumulation buffer (allocated and grown through
 * {@code ctx.alloc()}), the retained slices it cuts the frames from, and the chunks themselves
 * are all segpool blocks: every frame's bytes must be the ones encoded, and once the channel has
 * finished every block must be back (one free each, checked frees on, so a second free throws).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EmbeddedFrameDecoderTest {

    private static final int FRAMES = 100_000;
    private static final int CHUNK = 16 << 10;
    private static final int PREFIX = 4;

    /** The encoded stream and where each frame's payload starts in it. */
    private record Stream(byte[] bytes, int[] payloadAt, int[] payloadLength) {
    }

    /**
     * Frames with a 4-byte length prefix and random payloads from a fixed seed: mostly 4-700
     * bytes, every 997th one 17-48 KiB so that it spans several chunks. Each payload starts with
     * its frame index, so a frame delivered out of order or twice is told apart from a wrong byte.
     */
    private static Stream encode(long seed) {
        Random random = new Random(seed);
        int[] lengths = new int[FRAMES];
        long total = 0;
        for (int i = 0; i < FRAMES; i++) {
            lengths[i] = i % 997 == 996 ? (17 << 10) + random.nextInt(31 << 10) : 4 + random.nextInt(697);
            total += PREFIX + lengths[i];
        }
        byte[] bytes = new byte[Math.toIntExact(total)];
        random.nextBytes(bytes);
        int[] at = new int[FRAMES];
        int off = 0;
        for (int i = 0; i < FRAMES; i++) {
            putInt(bytes, off, lengths[i]);
            at[i] = off + PREFIX;
            putInt(bytes, at[i], i);
            off = at[i] + lengths[i];
        }
        return new Stream(bytes, at, lengths);
    }

    private static void putInt(byte[] bytes, int off, int value) {
        bytes[off] = (byte) (value >>> 24);
        bytes[off + 1] = (byte) (value >>> 16);
        bytes[off + 2] = (byte) (value >>> 8);
        bytes[off + 3] = (byte) value;
    }

    @Test
    void everyFrameDecodesToItsBytesAndEveryBlockComesBack() {
        Stream stream = encode(22);
        int spanning = 0;
        for (int i = 0; i < FRAMES; i++) {
            int start = stream.payloadAt()[i] - PREFIX;
            if (start / CHUNK != (stream.payloadAt()[i] + stream.payloadLength()[i] - 1) / CHUNK) {
                spanning++;
            }
        }
        assertTrue(spanning > 2_000, "frames split across chunk edges: " + spanning);

        try (SegpoolByteBufAllocator alloc = SegpoolByteBufAllocator.create(AllocatorConfig.defaults().withCheckFrees(true))) {
            int[] next = new int[1];
            byte[] scratch = new byte[48 << 10];
            List<ByteBuf> chunks = new ArrayList<>();
            EmbeddedChannel channel = new EmbeddedChannel();
            channel.config().setAllocator(alloc);
            channel.pipeline().addLast(new LengthFieldBasedFrameDecoder(1 << 20, 0, PREFIX, 0, PREFIX),
                    new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ByteBuf frame = (ByteBuf) msg;
                            try {
                                assertSame(alloc, ctx.alloc(), "the channel's allocator");
                                assertSame(alloc, frame.alloc(), "the frame is cut from a segpool buffer");
                                assertTrue(frame.isDirect());
                                int i = next[0]++;
                                int length = stream.payloadLength()[i];
                                assertEquals(length, frame.readableBytes(), "frame " + i + "'s length");
                                frame.readBytes(scratch, 0, length);
                                int at = stream.payloadAt()[i];
                                if (!Arrays.equals(scratch, 0, length, stream.bytes(), at, at + length)) {
                                    throw new AssertionError("frame " + i + " (" + length + " bytes at " + at + ") differs from what was encoded");
                                }
                            } finally {
                                frame.release();
                            }
                        }
                    });
            byte[] bytes = stream.bytes();
            for (int off = 0; off < bytes.length; off += CHUNK) {
                int n = Math.min(CHUNK, bytes.length - off);
                ByteBuf chunk = alloc.directBuffer(CHUNK);
                assertSame(alloc, chunk.alloc());
                chunk.writeBytes(bytes, off, n);
                chunks.add(chunk);
                channel.writeInbound(chunk);
            }
            assertFalse(channel.finish(), "no message is left in the channel");
            assertEquals(FRAMES, next[0], "every frame was decoded");
            for (ByteBuf chunk : chunks) {
                assertEquals(0, chunk.refCnt(), "a chunk the decoder consumed is released");
            }
            MemStats stats = Idle.assertIdle(alloc);
            assertTrue(stats.mallocs() >= chunks.size(), "segpool served the chunks: " + stats.mallocs());
        }
    }
}
