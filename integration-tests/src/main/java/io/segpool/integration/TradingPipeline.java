package io.segpool.integration;

import com.lmax.disruptor.BatchEventProcessor;
import com.lmax.disruptor.BatchEventProcessorBuilder;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.YieldingWaitStrategy;
import io.segpool.allocator.NativeAllocator;
import io.segpool.pools.DeferPool;
import io.segpool.pools.StackPool;
import io.segpool.stats.MemStats;
import org.HdrHistogram.Histogram;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * The trading pipeline, the Go "bound defer pools" commit's cross-thread pattern in its natural habitat: producer threads
 * allocate order blocks (64-256 B), encode them through a Chronicle view and publish their
 * addresses in an LMAX Disruptor ring (multi-producer with more than one); a consumer thread
 * decodes each in a stack frame, checks it and frees it through a deferred action on its own
 * thread. Blocks flow producers → consumer → (through the consumer's ring spills and the central
 * stacks) → producers, so {@code Sys} must stay flat.
 *
 * <p>Paced ({@code rate > 0}), latency runs from each order's intended send time, so a stall
 * counts for every order it delays (no coordinated omission) and the percentiles are the
 * allocator's and the pipeline's, not a queue's. Flat out ({@code rate} 0) the ring is always
 * full; that run measures throughput, and its latency is corrected after the run at the
 * producers' mean interval. The steady state makes no heap garbage.
 */
public final class TradingPipeline {

    /**
     * @param orders        orders to send after warm-up, over all producers (ignored when {@code seconds > 0})
     * @param seconds       run for this long instead of a fixed count
     * @param warmupOrders  orders sent first, flat out, and not measured (JIT, ring and chunk warm-up)
     * @param ringSize      Disruptor ring slots, a power of two
     * @param rate          orders per second over all producers, or 0 for flat out
     * @param producers     producer threads, 1 or more
     */
    public record Config(long orders, double seconds, long warmupOrders, int ringSize, long rate, int producers) {
        public Config {
            if (orders < 0 || seconds < 0 || warmupOrders < 0 || rate < 0) {
                throw new IllegalArgumentException("orders " + orders + ", seconds " + seconds + ", warm-up "
                        + warmupOrders + ", rate " + rate + ": none may be negative");
            }
            if (ringSize < 1 || Integer.bitCount(ringSize) != 1) {
                throw new IllegalArgumentException("ring size " + ringSize + " is not a power of two");
            }
            if (producers < 1) {
                throw new IllegalArgumentException("producers " + producers + ": at least 1");
            }
        }

        /** {@return a flat-out run of one producer and a fixed count} */
        public static Config ofOrders(long orders) {
            return new Config(orders, 0, 200_000, 1024, 0, 1);
        }
    }

    /**
     * What a run measured. Latency is to each order's free, in nanoseconds.
     *
     * @param latency     paced: from the intended send time; flat out: corrected for coordinated
     *                    omission with {@code expectedIntervalNanos}
     * @param uncorrected from the moment each order was published (paced), or as recorded (flat out)
     * @param expectedIntervalNanos paced: the interval between one producer's orders; flat out: the
     *                    producers' mean interval over the measured run
     * @param pools the allocator's and the pools' figures at the end, the pools' closed stack and
     *              scope included
     */
    public record Result(long orders, long lost, long corrupt, long outOfOrder, double seconds,
                         long sysAfterWarmup, long sysPeak, long sysEnd, long inuseEnd, long gcDuringRun,
                         Latency latency, Latency uncorrected, long expectedIntervalNanos, long rate, int producers,
                         long stackSysEnd, long stackInuseEnd, long deferSysEnd, long deferInuseEnd) {
        public double ordersPerSecond() {
            return orders / seconds;
        }
    }

    /** Percentiles of one latency histogram, in nanoseconds; {@code count} values in all. */
    public record Latency(long p50, long p99, long p999, long max, long count) {
        static Latency of(Histogram histogram) {
            return new Latency(histogram.getValueAtPercentile(50), histogram.getValueAtPercentile(99),
                    histogram.getValueAtPercentile(99.9), histogram.getMaxValue(), histogram.getTotalCount());
        }
    }

    /** One event of the ring: a block in flight. */
    static final class OrderEvent {
        long address;
        long size;
        long intendedNanos;
        long sentNanos;
    }

    private TradingPipeline() {
    }

    /**
     * Runs the pipeline on {@code allocator}, decoding in frames of {@code stacks} and freeing
     * through scopes of {@code defers}; {@code progress} gets the orders done so far now and then.
     */
    public static Result run(NativeAllocator allocator, StackPool stacks, DeferPool defers, Config config,
                             LongConsumer progress) throws InterruptedException {
        int n = config.producers();
        RingBuffer<OrderEvent> ring = n == 1
                ? RingBuffer.createSingleProducer(OrderEvent::new, config.ringSize(), new YieldingWaitStrategy())
                : RingBuffer.createMultiProducer(OrderEvent::new, config.ringSize(), new YieldingWaitStrategy());
        OrderConsumer consumer = new OrderConsumer(allocator, stacks, defers, n);
        BatchEventProcessor<OrderEvent> processor = new BatchEventProcessorBuilder().build(ring, ring.newBarrier(),
                consumer);
        ring.addGatingSequences(processor.getSequence());
        Thread consumerThread = Thread.ofPlatform().name("segpool-consumer").start(processor);

        CountDownLatch warmedUp = new CountDownLatch(n);
        CountDownLatch measure = new CountDownLatch(1);
        long measureNanos = (long) (config.seconds() * 1e9);
        PacedProducer[] producers = new PacedProducer[n];
        Thread[] threads = new Thread[n];
        for (int p = 0; p < n; p++) {
            long share = config.orders() / n + (p < config.orders() % n ? 1 : 0);
            producers[p] = new PacedProducer(p, allocator, ring, config.warmupOrders() / n,
                    config.seconds() > 0 ? 0 : share, (double) config.rate() / n, measureNanos, warmedUp, measure);
            threads[p] = Thread.ofPlatform().name("segpool-producer-" + p).start(producers[p]);
        }
        if (!warmedUp.await(120, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the producers did not finish warming up in 120 s");
        }
        waitUntilConsumed(ring, processor);
        MemStats stats = new MemStats();
        allocator.readMemStats(stats);
        long sysAfterWarmup = stats.sys();
        long sysPeak = sysAfterWarmup;
        consumer.startMeasuring();

        long gcBefore = GcCounter.collections();
        long start = System.nanoTime();
        for (PacedProducer producer : producers) {
            producer.startNanos = start;
        }
        measure.countDown();
        for (Thread thread : threads) {
            while (!thread.join(java.time.Duration.ofMillis(20))) {
                allocator.readMemStats(stats);
                sysPeak = Math.max(sysPeak, stats.sys());
                long sent = 0;
                for (PacedProducer producer : producers) {
                    sent += producer.sent;
                }
                progress.accept(sent);
            }
        }
        waitUntilConsumed(ring, processor);
        double seconds = (System.nanoTime() - start) / 1e9;
        long gcDuring = GcCounter.collections() - gcBefore;
        processor.halt();
        consumerThread.join();

        allocator.readMemStats(stats);
        sysPeak = Math.max(sysPeak, stats.sys());
        long sysEnd = stats.sys();
        long inuseEnd = stats.inuse();
        MemStats pool = new MemStats();
        stacks.readMemStats(pool);
        long stackSys = pool.stackSys();
        long stackInuse = pool.stackInuse();
        defers.readMemStats(pool);
        long sent = 0;
        long warmup = 0;
        for (PacedProducer producer : producers) {
            sent += producer.sentExactly();
            warmup += config.warmupOrders() / n;
        }
        Histogram recorded = consumer.latency;
        Latency latency;
        long interval;
        if (config.rate() > 0) {
            interval = Math.round(1e9 * n / config.rate());
            latency = Latency.of(recorded);
        } else {
            // Flat out, the producers are closed-loop: while the ring is full they send nothing, so the
            // orders they would have sent are missing (coordinated omission). HdrHistogram adds them back
            // at the mean interval, after the run, so that the consumer does no extra work in a stall.
            interval = Math.max(1, Math.round(seconds * 1e9 / Math.max(1, sent)));
            latency = Latency.of(recorded.copyCorrectedForCoordinatedOmission(interval));
        }
        return new Result(sent, warmup + sent - consumer.consumed, consumer.corrupt, consumer.outOfOrder, seconds,
                sysAfterWarmup, sysPeak, sysEnd, inuseEnd, gcDuring, latency,
                Latency.of(config.rate() > 0 ? consumer.service : recorded), interval, config.rate(), n,
                stackSys, stackInuse, pool.deferSys(), pool.deferInuse());
    }

    private static void waitUntilConsumed(RingBuffer<OrderEvent> ring, BatchEventProcessor<OrderEvent> processor) {
        while (processor.getSequence().get() < ring.getCursor()) {
            Thread.onSpinWait();
            Thread.yield();
        }
    }
}
