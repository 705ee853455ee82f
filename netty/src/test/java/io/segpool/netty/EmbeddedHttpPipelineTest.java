package io.segpool.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.segpool.allocator.AllocatorConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Netty's {@link HttpServerCodec} and {@link HttpObjectAggregator} on an {@link EmbeddedChannel}
 * whose allocator is segpool's: pipelined POST requests arrive in 16 KiB chunks that segpool's
 * allocator made, with bodies of 0 B to 40 KiB (the larger ones span chunks, so the aggregator
 * composes them from several buffers), and each is answered with a response whose body is
 * written into {@code ctx.alloc()}. Every request body must reach the handler intact, every
 * response must leave the channel in order with the bytes the handler wrote, every outbound
 * buffer must be segpool's, and once the channel has finished every block must be back.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EmbeddedHttpPipelineTest {

    private static final int REQUESTS = 3_000;
    private static final int CHUNK = 16 << 10;
    private static final int[] BODY_SIZES = {0, 1, 200, 4_000, 16_384, 40_000};

    /** The response body for request {@code i}: its body with every byte flipped, then the index. */
    private static byte[] answer(int i, byte[] body) {
        byte[] tail = ("#" + i).getBytes(StandardCharsets.US_ASCII);
        byte[] out = Arrays.copyOf(body, body.length + tail.length);
        for (int k = 0; k < body.length; k++) {
            out[k] = (byte) ~body[k];
        }
        System.arraycopy(tail, 0, out, body.length, tail.length);
        return out;
    }

    @Test
    void pipelinedRequestsGetTheirResponsesThroughSegpoolBuffers() {
        Random random = new Random(22);
        byte[][] bodies = new byte[REQUESTS][];
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        int spanning = 0;
        for (int i = 0; i < REQUESTS; i++) {
            bodies[i] = new byte[BODY_SIZES[random.nextInt(BODY_SIZES.length)]];
            random.nextBytes(bodies[i]);
            byte[] head = ("POST /r/" + i + " HTTP/1.1\r\nHost: test\r\nContent-Length: " + bodies[i].length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            int start = wire.size();
            wire.writeBytes(head);
            wire.writeBytes(bodies[i]);
            if (start / CHUNK != (wire.size() - 1) / CHUNK) {
                spanning++;
            }
        }
        assertTrue(spanning > 500, "requests split across chunk edges: " + spanning);
        byte[] stream = wire.toByteArray();

        try (SegpoolByteBufAllocator alloc = SegpoolByteBufAllocator.create(AllocatorConfig.defaults().withCheckFrees(true))) {
            int[] received = new int[1];
            EmbeddedChannel channel = new EmbeddedChannel();
            channel.config().setAllocator(alloc);
            channel.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                    new SimpleChannelInboundHandler<FullHttpRequest>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                            assertSame(alloc, ctx.alloc(), "the channel's allocator is segpool's");
                            int i = received[0]++;
                            assertEquals("/r/" + i, request.uri(), "requests arrive in order");
                            byte[] body = new byte[request.content().readableBytes()];
                            request.content().getBytes(request.content().readerIndex(), body);
                            assertTrue(Arrays.equals(bodies[i], body), () -> "request " + i + "'s body");
                            ByteBuf content = ctx.alloc().buffer(body.length + 8);
                            assertSame(alloc, content.alloc());
                            assertTrue(content.isDirect(), "a segpool block");
                            content.writeBytes(answer(i, body));
                            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, content);
                            response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
                            response.headers().setInt("x-request", i);
                            ctx.write(response);
                        }

                        @Override
                        public void channelReadComplete(ChannelHandlerContext ctx) {
                            ctx.flush();
                        }
                    });
            ByteArrayOutputStream responses = new ByteArrayOutputStream();
            int outbound = 0;
            for (int off = 0; off < stream.length; off += CHUNK) {
                int n = Math.min(CHUNK, stream.length - off);
                channel.writeInbound(alloc.directBuffer(CHUNK).writeBytes(stream, off, n));
                for (Object out = channel.readOutbound(); out != null; out = channel.readOutbound()) {
                    ByteBuf buf = (ByteBuf) out;
                    try {
                        if (buf.isReadable()) {
                            assertSame(alloc, buf.alloc(), "an outbound buffer is segpool's");
                            outbound++;
                        }
                        byte[] bytes = new byte[buf.readableBytes()];
                        buf.readBytes(bytes);
                        responses.writeBytes(bytes);
                    } finally {
                        buf.release();
                    }
                }
            }
            assertFalse(channel.finish(), "every response was read off the channel");
            assertEquals(REQUESTS, received[0], "every request reached the handler");
            assertTrue(outbound >= REQUESTS, "outbound buffers: " + outbound);
            checkResponses(responses.toByteArray(), bodies);
            Idle.assertIdle(alloc);
        }
    }

    /** Parses the responses in order and checks each one's status, headers and body. */
    private static void checkResponses(byte[] wire, byte[][] bodies) {
        int off = 0;
        for (int i = 0; i < bodies.length; i++) {
            int end = indexOf(wire, off, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertTrue(end > 0, "response " + i + " has a head");
            String head = new String(wire, off, end - off, StandardCharsets.US_ASCII);
            String[] lines = head.split("\r\n");
            assertEquals("HTTP/1.1 200 OK", lines[0], "response " + i + "'s status line");
            int length = -1;
            String request = null;
            for (int k = 1; k < lines.length; k++) {
                String[] kv = lines[k].split(": ", 2);
                if (kv[0].equalsIgnoreCase("content-length")) {
                    length = Integer.parseInt(kv[1]);
                } else if (kv[0].equalsIgnoreCase("x-request")) {
                    request = kv[1];
                }
            }
            assertEquals(String.valueOf(i), request, "responses leave in request order");
            byte[] expected = answer(i, bodies[i]);
            assertEquals(expected.length, length, "response " + i + "'s Content-Length");
            int body = end + 4;
            assertTrue(Arrays.equals(expected, 0, expected.length, wire, body, body + length), "response " + i + "'s body");
            off = body + length;
        }
        assertEquals(wire.length, off, "nothing after the last response");
    }

    private static int indexOf(byte[] bytes, int from, byte[] needle) {
        outer:
        for (int i = from; i <= bytes.length - needle.length; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (bytes[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
