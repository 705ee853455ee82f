package io.segpool.jmh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Netty pipelines on an {@link EmbeddedChannel} whose allocator is the one under test (the
 * allocators of {@link NettyAllocatorBenchmark.Allocators}), the input arriving in 16 KiB chunks
 * that the same allocator made, as a socket read would:
 * <ul>
 *   <li>{@link #lengthFieldFrames}: {@code LengthFieldBasedFrameDecoder} on 100,000 frames of
 *   16-1024 bytes (4-byte length prefix), each frame released by the next handler;
 *   <li>{@link #httpPipelined}: {@code HttpServerCodec} + {@code HttpObjectAggregator} on 2,000
 *   pipelined POST requests with 200-byte bodies, each answered with a response whose body is
 *   written into {@code ctx.alloc()}; the encoded responses are read off the channel and released.
 * </ul>
 * One operation is the whole stream: the score is milliseconds per stream.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Dio.netty.leakDetection.level=disabled"})
public class NettyPipelineBenchmark {

    private static final int CHUNK = 16 << 10;

    /** The two byte streams, made once per trial with a fixed seed. */
    @State(Scope.Thread)
    public static class Streams {
        byte[] frames;
        byte[] requests;

        @Setup(Level.Trial)
        public void setUp() {
            Random random = new Random(22);
            ByteBuf out = io.netty.buffer.Unpooled.buffer();
            for (int i = 0; i < 100_000; i++) {
                int n = 16 + random.nextInt(1009);
                out.writeInt(n);
                out.writeZero(n);
            }
            frames = new byte[out.readableBytes()];
            out.readBytes(frames).release();
            StringBuilder http = new StringBuilder();
            String body = "x".repeat(200);
            for (int i = 0; i < 2_000; i++) {
                http.append("POST /echo/").append(i).append(" HTTP/1.1\r\nHost: bench\r\nContent-Length: 200\r\n\r\n").append(body);
            }
            requests = http.toString().getBytes(StandardCharsets.US_ASCII);
        }
    }

    private static void feed(EmbeddedChannel channel, ByteBufAllocator alloc, byte[] stream) {
        for (int off = 0; off < stream.length; off += CHUNK) {
            int n = Math.min(CHUNK, stream.length - off);
            channel.writeInbound(alloc.directBuffer(CHUNK).writeBytes(stream, off, n));
        }
    }

    @Benchmark
    public long lengthFieldFrames(NettyAllocatorBenchmark.Allocators a, Streams s) {
        long[] seen = new long[1];
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.config().setAllocator(a.alloc);
        channel.pipeline().addLast(new LengthFieldBasedFrameDecoder(1 << 20, 0, 4, 0, 4),
                new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        seen[0] += ((ByteBuf) msg).readableBytes();
                        ReferenceCountUtil.release(msg);
                    }
                });
        feed(channel, a.alloc, s.frames);
        channel.finishAndReleaseAll();
        return seen[0];
    }

    @Benchmark
    public long httpPipelined(NettyAllocatorBenchmark.Allocators a, Streams s) {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.config().setAllocator(a.alloc);
        channel.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 16),
                new SimpleChannelInboundHandler<FullHttpRequest>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                        ByteBuf body = ctx.alloc().buffer(request.content().readableBytes());
                        body.writeBytes(request.content());
                        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
                        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
                        ctx.write(response);
                    }

                    @Override
                    public void channelReadComplete(ChannelHandlerContext ctx) {
                        ctx.flush();
                    }
                });
        long bytes = 0;
        byte[] stream = s.requests;
        for (int off = 0; off < stream.length; off += CHUNK) {
            int n = Math.min(CHUNK, stream.length - off);
            channel.writeInbound(a.alloc.directBuffer(CHUNK).writeBytes(stream, off, n));
            for (Object out = channel.readOutbound(); out != null; out = channel.readOutbound()) {
                bytes += out instanceof ByteBuf buf ? buf.readableBytes() : 1;
                ReferenceCountUtil.release(out);
            }
        }
        channel.finishAndReleaseAll();
        return bytes;
    }
}
