package io.segpool.integration;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Workload 3 of issue 22: a loopback echo over NIO, one event loop on each side, with the
 * allocator under test on server, child and client. The client keeps {@code window} frames in
 * flight, each carrying its send time, and records the round trip of every one in an
 * HdrHistogram; the server echoes each frame, either writing the received buffer back (Netty
 * releases it after the write) or, with {@code offload}, writing a copy and handing the received
 * buffer to a virtual thread that releases it. RSS is read at the start, at the end of the load,
 * and after the loops have stopped and an idle period has passed, with the allocator's own
 * resident direct memory ({@code metric().usedDirectMemory()}) at that point: RSS is the whole
 * JVM's, heap growth included, while the metric is what the allocator itself keeps.
 */
final class NettyEcho {

    /** What one run does: {@code connections} clients, each with {@code window} frames in flight. */
    record Config(double seconds, int size, int window, boolean offload, double idleSeconds, int connections) {
        /** One connection. */
        Config(double seconds, int size, int window, boolean offload, double idleSeconds) {
            this(seconds, size, window, offload, idleSeconds, 1);
        }
    }

    /** What one run measured. */
    record Result(String allocator, long frames, double seconds, Histogram rtt, long rssStart, long rssPeak, long rssIdle,
                  long directIdle) {
        double framesPerSecond() {
            return frames / seconds;
        }
    }

    private NettyEcho() {
    }

    /** The resident set of this process in bytes, from {@code /proc/self/status}, or -1 where there is none. */
    static long rss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** Runs the echo once with {@code alloc}, on loops of its own that it shuts down before the idle period. */
    static Result run(String name, ByteBufAllocator alloc, Config config) throws InterruptedException {
        long rssStart = rss();
        EventLoopGroup serverLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup childLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup clientLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        ExecutorService releasers = Executors.newVirtualThreadPerTaskExecutor();
        Client[] clients = new Client[config.connections()];
        Channel[] channels = new Channel[clients.length];
        try {
            Channel server = new ServerBootstrap().group(serverLoop, childLoop).channel(NioServerSocketChannel.class)
                    .option(ChannelOption.ALLOCATOR, alloc).childOption(ChannelOption.ALLOCATOR, alloc)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(1 << 24, 0, 4), new Echo(config.offload(), releasers));
                        }
                    })
                    .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
            for (int c = 0; c < clients.length; c++) {
                Client client = new Client(config);
                clients[c] = client;
                channels[c] = new Bootstrap().group(clientLoop).channel(NioSocketChannel.class)
                        .option(ChannelOption.ALLOCATOR, alloc).option(ChannelOption.TCP_NODELAY, true)
                        .handler(new ChannelInitializer<SocketChannel>() {
                            @Override
                            protected void initChannel(SocketChannel ch) {
                                ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(1 << 24, 0, 4), client);
                            }
                        })
                        .connect(server.localAddress()).sync().channel();
            }
            long start = System.nanoTime();
            for (int c = 0; c < clients.length; c++) {
                Client client = clients[c];
                Channel channel = channels[c];
                client.deadline = start + (long) (config.seconds() * 1e9);
                channel.eventLoop().execute(() -> client.start(channel));
            }
            long received = 0;
            Histogram rtt = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
            for (Client client : clients) {
                if (!client.done.await((long) (config.seconds() * 1000) + 30_000, TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException(name + ": the echo did not finish; " + client.received + " frames came back");
                }
            }
            for (Client client : clients) {
                received += client.received;
                rtt.add(client.rtt);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long rssPeak = rss();
            for (Channel channel : channels) {
                channel.close().sync();
            }
            server.close().sync();
            shutdown(clientLoop, childLoop, serverLoop);
            releasers.shutdown();
            if (!releasers.awaitTermination(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException(name + ": releasing threads did not finish");
            }
            Thread.sleep((long) (config.idleSeconds() * 1000));
            long directIdle = alloc instanceof ByteBufAllocatorMetricProvider provider ? provider.metric().usedDirectMemory() : -1;
            return new Result(name, received, seconds, rtt, rssStart, rssPeak, rss(), directIdle);
        } finally {
            shutdown(clientLoop, childLoop, serverLoop);
            releasers.shutdownNow();
        }
    }

    private static void shutdown(EventLoopGroup... groups) throws InterruptedException {
        for (EventLoopGroup group : groups) {
            if (!group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("an event loop did not terminate");
            }
        }
    }

    /** Echoes each frame: the same buffer back, or a copy while a virtual thread releases the frame. */
    private static final class Echo extends ChannelInboundHandlerAdapter {
        private final boolean offload;
        private final ExecutorService releasers;

        Echo(boolean offload, ExecutorService releasers) {
            this.offload = offload;
            this.releasers = releasers;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf frame = (ByteBuf) msg;
            if (offload) {
                ctx.write(ctx.alloc().buffer(frame.readableBytes()).writeBytes(frame, frame.readerIndex(), frame.readableBytes()));
                releasers.execute(frame::release);
            } else {
                ctx.write(frame);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }
    }

    /** Keeps {@code window} frames in flight until the deadline, then lets the last ones come back. */
    private static final class Client extends ChannelInboundHandlerAdapter {
        final Histogram rtt = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        final CountDownLatch done = new CountDownLatch(1);
        private final Config config;
        volatile long deadline;
        volatile long received;
        private int inFlight;

        Client(Config config) {
            this.config = config;
        }

        void start(Channel channel) {
            for (int i = 0; i < config.window(); i++) {
                send(channel);
            }
            channel.flush();
        }

        private void send(Channel channel) {
            ByteBuf frame = channel.alloc().buffer(4 + 8 + config.size());
            frame.writeInt(8 + config.size()).writeLong(System.nanoTime()).writeZero(config.size());
            channel.write(frame);
            inFlight++;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf frame = (ByteBuf) msg;
            long now = System.nanoTime();
            rtt.recordValue(Math.max(0, now - frame.getLong(frame.readerIndex() + 4)));
            frame.release();
            inFlight--;
            received++;
            if (now < deadline) {
                send(ctx.channel());
            } else if (inFlight == 0) {
                done.countDown();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }
    }
}
