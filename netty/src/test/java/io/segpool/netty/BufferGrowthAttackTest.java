package io.segpool.netty;

import io.netty.buffer.ByteBuf;
import io.netty.util.IllegalReferenceCountException;
import io.segpool.allocator.AllocatorConfig;
import io.segpool.allocator.NativeAllocator;
import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Attacks on {@link SegpoolByteBuf}'s growth, which the other tests try only inside
 * the class blocks: growth past {@link NativeAllocator#MAX_CLASS_SIZE} into a large block and
 * back into a class block, growth on a thread other than the one that made the buffer (a platform
 * thread and a virtual one, whose carrier is none), a refused growth, and the views of a grown
 * buffer after its release. Each must keep the bytes, free each block once, and end idle.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BufferGrowthAttackTest {

    private static final int LARGE = 3 << 20;

    private static SegpoolByteBufAllocator newAllocator() {
        return SegpoolByteBufAllocator.create(AllocatorConfig.defaults());
    }

    private static long inuse(SegpoolByteBufAllocator alloc) {
        MemStats stats = new MemStats();
        alloc.readMemStats(stats);
        return stats.inuse();
    }

    @Test
    void growthIntoALargeBlockAndBackKeepsTheBytesAndFreesEachBlockOnce() {
        try (SegpoolByteBufAllocator alloc = newAllocator()) {
            for (int round = 0; round < 50; round++) {
                ByteBuf buf = alloc.directBuffer(64, LARGE);
                buf.writeLong(round);
                buf.capacity((int) NativeAllocator.MAX_CLASS_SIZE); // the largest class block
                buf.capacity(LARGE); // a large block of its own
                assertEquals(NativeAllocator.blockSize(LARGE), inuse(alloc), "only the large block is held");
                buf.setLong(LARGE - 8, ~round);
                ByteBuf slice = buf.retainedSlice(0, 8);
                buf.capacity(100); // shrinks in place: the large block stays
                assertEquals(round, buf.getLong(0));
                assertEquals(round, slice.getLong(0));
                buf.capacity(LARGE - 16); // fits the block it has
                assertTrue(!slice.release() && buf.release(), "the slice shares the count");
                assertThrows(IllegalReferenceCountException.class, () -> slice.getLong(0));
                assertThrows(IllegalReferenceCountException.class, () -> buf.capacity(200));
                assertEquals(0, inuse(alloc), "round " + round);
            }
            Idle.assertIdle(alloc);
        }
    }

    @Test
    void growthOnAnotherThreadAndARefusedGrowthLoseNothing() throws Exception {
        try (SegpoolByteBufAllocator alloc = newAllocator()) {
            for (boolean virtual : new boolean[] {false, true}) {
                ByteBuf buf = alloc.directBuffer(64, 1 << 20);
                buf.writeLong(42);
                AtomicReference<Throwable> failure = new AtomicReference<>();
                Runnable grow = () -> {
                    try {
                        buf.capacity(64 << 10);
                        buf.setLong((64 << 10) - 8, 7);
                        buf.capacity(300 << 10);
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                };
                Thread grower = virtual ? Thread.ofVirtual().start(grow) : Thread.ofPlatform().start(grow);
                assertTrue(grower.join(Duration.ofSeconds(20)));
                assertNull(failure.get(), "growth on " + grower);
                long held = inuse(alloc);
                assertEquals(NativeAllocator.blockSize(300 << 10), held, "the blocks it grew out of were freed");
                assertThrows(IllegalArgumentException.class, () -> buf.capacity((1 << 20) + 1));
                assertThrows(IllegalArgumentException.class, () -> buf.capacity(-1));
                assertEquals(300 << 10, buf.capacity(), "a refused growth changes nothing");
                assertEquals(held, inuse(alloc));
                assertEquals(42, buf.getLong(0));
                assertEquals(7, buf.getLong((64 << 10) - 8));
                assertTrue(buf.release());
                assertEquals(0, inuse(alloc));
            }
            Idle.assertIdle(alloc);
        }
    }
}
