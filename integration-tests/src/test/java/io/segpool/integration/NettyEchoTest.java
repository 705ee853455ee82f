package io.segpool.integration;

import io.segpool.allocator.AllocatorConfig;
import io.segpool.netty.SegpoolByteBufAllocator;
import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The loopback echo of {@code ./segpool netty}: every frame comes back, timed, and no block stays in use. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NettyEchoTest {

    @Test
    void everyFrameComesBackAndEveryBlockIsFreedOnEitherReleasePath() throws Exception {
        for (boolean offload : new boolean[] {false, true}) {
            try (SegpoolByteBufAllocator alloc = SegpoolByteBufAllocator.create(AllocatorConfig.defaults().withCheckFrees(true))) {
                NettyEcho.Result result = NettyEcho.run("segpool", alloc, new NettyEcho.Config(0.5, 700, 8, offload, 0));
                assertTrue(result.frames() > 100, "only " + result.frames() + " frames in 0.5 s");
                assertEquals(result.frames(), result.rtt().getTotalCount(), "one round trip per frame");
                MemStats stats = new MemStats();
                alloc.readMemStats(stats);
                assertEquals(0, stats.inuse(), stats::toString);
                assertEquals(stats.mallocs(), stats.frees(), stats::toString);
                assertEquals(stats.sys(), stats.inuse() + stats.cached() + stats.central() + stats.released(), stats::toString);
            }
        }
    }

    @Test
    void manyConnectionsWithLargeFramesComeBackAndFreeEveryBlock() throws Exception {
        try (SegpoolByteBufAllocator alloc = SegpoolByteBufAllocator.create(AllocatorConfig.defaults().withCheckFrees(true))) {
            NettyEcho.Result result = NettyEcho.run("segpool", alloc, new NettyEcho.Config(0.5, 256 << 10, 2, false, 0, 6));
            assertTrue(result.frames() >= 12, "only " + result.frames() + " frames of 256 KiB on 6 connections in 0.5 s");
            assertEquals(result.frames(), result.rtt().getTotalCount(), "one round trip per frame, all connections merged");
            MemStats stats = new MemStats();
            alloc.readMemStats(stats);
            assertEquals(0, stats.inuse(), stats::toString);
            assertEquals(stats.mallocs(), stats.frees(), stats::toString);
        }
    }

    @Test
    void theCommandRunsEachAllocatorAndRefusesBadValues() {
        assertEquals(0, Main.run("netty", "--seconds", "0.3", "--idle", "0", "--window", "4", "--warmup", "0.2"));
        assertEquals(2, Main.commandLine().execute("netty", "--window", "0"));
        assertEquals(2, Main.commandLine().execute("netty", "--connections", "0"));
    }
}
