package io.segpool.allocator;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real fault behind issue 17 items 2 to 4, with no seam: a view of segpool memory inside a
 * blocking NIO write keeps its arena acquired, so the JDK refuses to close it ("session is
 * acquired"). A pipe whose reader does not read yet holds the write. Meanwhile the allocator must
 * stay whole: a spill that crosses the cached-bytes limit cannot evict the busy span and still
 * completes (no block handed out twice), trim keeps the span counted, and close() says what is
 * busy and can be called again once the write is done.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BusySegmentTest {

    private static final int LARGE = 3 << 20;

    /** A write of {@code view} into a pipe that nobody reads yet: it blocks inside the JDK, holding the view's arena. */
    private static final class BlockedWrite implements AutoCloseable {
        final Pipe pipe = Pipe.open();
        final Thread writer;
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        BlockedWrite(MemorySegment view) throws IOException, InterruptedException {
            ByteBuffer buffer = view.asByteBuffer();
            writer = Thread.ofPlatform().start(() -> {
                try {
                    while (buffer.hasRemaining()) {
                        pipe.sink().write(buffer);
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            // The write has started once the pipe holds bytes; it stays blocked while the view is
            // larger than the pipe's buffer and the reader reads nothing.
            pipe.source().configureBlocking(false);
            ByteBuffer peek = ByteBuffer.allocate(1);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (pipe.source().read(peek) == 0) {
                assertTrue(System.nanoTime() < deadline, "the write never started");
                Thread.onSpinWait();
            }
            assertTrue(writer.isAlive(), "the write finished: the pipe's buffer held the whole view");
        }

        /** Reads everything, so the write finishes and lets go of the arena. */
        @Override
        public void close() throws IOException, InterruptedException {
            ByteBuffer sink = ByteBuffer.allocate(1 << 16);
            while (writer.isAlive()) {
                sink.clear();
                pipe.source().read(sink);
            }
            writer.join(30_000);
            assertFalse(writer.isAlive());
            pipe.source().close();
            pipe.sink().close();
        }
    }

    @Test
    void aSpillOverTheLimitWhileACachedSpanIsBusyHandsNoBlockOutTwice() throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withCachedBytesLimit(256 << 10))) {
            MemorySegment large = allocator.allocate(LARGE);
            try (BlockedWrite busy = new BlockedWrite(large)) {
                allocator.free(large); // the span goes to the large cache; its view is still in the write
                ThreadCache cache = allocator.threadCache();
                Set<Long> live = new HashSet<>();
                long[] blocks = new long[2000];
                for (int round = 0; round < 3; round++) {
                    for (int i = 0; i < blocks.length; i++) {
                        blocks[i] = cache.allocateAddress(1024);
                        assertTrue(live.add(blocks[i]), "block handed out twice");
                    }
                    for (long block : blocks) {
                        cache.freeAddress(block, 1024); // spills cross the limit: each tries to evict the busy span
                        live.remove(block);
                    }
                    MemStats stats = TestSupport.stats(allocator);
                    TestSupport.assertConserved(stats);
                    assertEquals(0, stats.inuse());
                    assertTrue(stats.central() >= LARGE, "the busy span is still cached and counted");
                }
                assertEquals(0, allocator.trim() >= LARGE ? 1 : 0, "the busy span cannot be unmapped yet");
                TestSupport.assertConserved(TestSupport.stats(allocator));
                assertTrue(busy.failure.get() == null, () -> "the write failed: " + busy.failure.get());
            }
            assertTrue(allocator.trim() >= LARGE, "once the write is done, trim unmaps the span");
            MemStats stats = TestSupport.stats(allocator);
            TestSupport.assertConserved(stats);
            assertTrue(stats.central() < LARGE);
        }
    }

    @Test
    void aCloseThatMeetsABusyViewSaysSoAndCanBeCalledAgain() throws Exception {
        NativeAllocator allocator = NativeAllocator.create();
        long block = allocator.allocateAddress(1 << 20);
        MemorySegment view = allocator.segment(block, 1 << 20);
        try (BlockedWrite busy = new BlockedWrite(view)) {
            IllegalStateException refused = assertThrows(IllegalStateException.class, allocator::close);
            assertTrue(refused.getMessage().contains("call close() again"), refused.getMessage());
            assertFalse(allocator.isOpen());
            assertThrows(IllegalStateException.class, () -> allocator.allocateAddress(4 << 20));
        }
        allocator.close();
        assertThrows(IllegalStateException.class, () -> view.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0),
                "after the close that succeeded, the heap is unmapped and its segments dead");
    }
}
