package io.segpool.pools;

import io.segpool.allocator.NativeAllocator;
import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seed 001's scenario: defer blocks allocated on one thread are freed on another, ten million
 * times. The producer defers into a scope and hands the scope over; the consumer runs it, which
 * frees the block into the consumer's cache, and hands the empty scope back. Without a bound the
 * consumer's cache would keep every block (seed 001's "before": memory grows with the count);
 * with 32-slot rings that spill 16 at a time to the global stack, blocks flow back to the producer.
 *
 * <p>The bound: {@code SCOPES} blocks at most are pending in the scopes in flight, 32 sit in each
 * thread's ring, and the global stack carves 16 at a time only when empty; so at most
 * {@code SCOPES + 2 * 32 + 16} blocks are ever carved, and {@code DeferSys} is at most that many
 * rounded up to whole chunks, plus the chunk being carved: whatever the number of defers.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class BoundedDeferPoolTest {

    private static final int SCOPES = 64;
    private static final long DEFERS = 10_000_000;

    @Test
    void deferSysStaysUnderAFewChunksWhateverTheCount() throws Exception {
        try (DeferPool pool = DeferPool.create()) {
            long[] sum = new long[1];
            int add = pool.register(args -> sum[0] += args.word());
            // One failure slot for both queues: a side that fails stops the other's waits (no hang).
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Handoff<DeferScope> toConsumer = new Handoff<>(SCOPES, failure);
            Handoff<DeferScope> toProducer = new Handoff<>(SCOPES, failure);
            Thread producer = Thread.currentThread();
            Thread consumer = Thread.ofPlatform().name("consumer").unstarted(() -> {
                try {
                    for (long i = 0; i < DEFERS; i++) {
                        DeferScope scope = toConsumer.take();
                        scope.runDeferred();
                        scope.moveTo(producer);
                        toProducer.put(scope);
                    }
                } catch (Throwable t) {
                    toProducer.fail(t);
                }
            });
            for (int i = 0; i < SCOPES; i++) {
                DeferScope scope = pool.newScope();
                scope.moveTo(producer);
                toProducer.put(scope);
            }
            consumer.start();
            MemStats stats = new MemStats();
            long peakSys = 0;
            try {
                for (long i = 0; i < DEFERS; i++) {
                    DeferScope scope = toProducer.take();
                    scope.defer(add, i);
                    scope.moveTo(consumer);
                    toConsumer.put(scope);
                    if (i % 1_000_000 == 0) {
                        pool.readPoolStats(stats);
                        peakSys = Math.max(peakSys, stats.deferSys());
                    }
                }
            } catch (Throwable t) {
                toConsumer.fail(t); // the consumer stops waiting for scopes that will not come
                throw t;
            }
            assertTrue(consumer.join(Duration.ofSeconds(60)), "the consumer did not finish");
            assertNull(failure.get());
            for (int i = 0; i < SCOPES; i++) {
                toProducer.take().close();
            }
            assertEquals(DEFERS * (DEFERS - 1) / 2, sum[0], "every defer ran once with its own argument");

            pool.readPoolStats(stats);
            peakSys = Math.max(peakSys, stats.deferSys());
            MemStats rows = new MemStats();
            pool.readMemStats(rows);
            long blockSize = NativeAllocator.blockSize(DeferBlocks.CLASS_BLOCK_SIZE[0]);
            long chunkBytes = 0;
            for (int c = 0; c < rows.classCount(); c++) {
                if (rows.classSize(c) == blockSize) {
                    chunkBytes = rows.classChunkBytes(c);
                }
            }
            long blocksPerChunk = chunkBytes / blockSize;
            long maxCarved = SCOPES + 2L * NativeAllocator.MAX_RING_CAPACITY + NativeAllocator.MAX_BATCH;
            long bound = (Math.ceilDiv(maxCarved, blocksPerChunk) + 1) * chunkBytes;
            System.out.printf("bounded defer pool: %,d defers handed across threads, peak DeferSys %,d bytes,"
                    + " bound %,d bytes (unbounded would keep %,d)%n", DEFERS, peakSys, bound, DEFERS * 48);
            assertTrue(peakSys <= bound, "DeferSys " + peakSys + " above the bound " + bound);
            assertEquals(0, stats.deferInuse());

            MemStats full = new MemStats();
            pool.readMemStats(full);
            assertEquals(DEFERS, full.mallocs());
            assertEquals(DEFERS, full.frees());
        }
    }
}
