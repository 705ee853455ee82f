package io.segpool.integration;

import com.lmax.disruptor.RingBuffer;
import io.segpool.allocator.NativeAllocator;
import io.segpool.chronicle.BlockBytes;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One producer thread of the trading pipeline: allocates an order block (64-256 B), encodes it
 * through a Chronicle view and publishes its address. Paced, it sends order {@code k} at its
 * intended time {@code start + k / rate} and stamps the event with that time, not with the time it
 * managed to send: when the pipeline stalls, the orders it should have sent meanwhile are late by
 * the stall and count as such (no coordinated omission). Flat out ({@code rate} 0), the intended
 * time is the moment the order is ready to publish, so a wait for a free slot is latency too.
 */
final class PacedProducer implements Runnable {

    /** Sequences carry the producer in their top 16 bits, so the consumer checks each producer's order. */
    static final int PRODUCER_SHIFT = 48;

    private final int id;
    private final NativeAllocator allocator;
    private final RingBuffer<TradingPipeline.OrderEvent> ring;
    private final BlockBytes view = new BlockBytes();
    private final long warmup;
    private final long orders;
    private final double intervalNanos;
    private final long measureNanos;
    private final CountDownLatch warmedUp;
    private final CountDownLatch measure;
    private long random;
    private long sequence;
    /** Orders of the measured phase sent so far; read by the main thread for the progress bar. */
    volatile long sent;
    /** Orders of the measured phase sent, exactly; written by this producer's thread only. */
    private long sentExactlyCount;
    /** Measured start, shared by all producers once {@link #measure} opens. */
    volatile long startNanos;

    /**
     * @param orders orders to send in the measured phase, or 0 to send for {@code measureNanos}
     * @param rate orders per second for this producer, or 0 for flat out
     */
    PacedProducer(int id, NativeAllocator allocator, RingBuffer<TradingPipeline.OrderEvent> ring, long warmup,
                  long orders, double rate, long measureNanos, CountDownLatch warmedUp, CountDownLatch measure) {
        this.id = id;
        this.allocator = allocator;
        this.ring = ring;
        this.warmup = warmup;
        this.orders = orders;
        this.intervalNanos = rate > 0 ? 1e9 / rate : 0;
        this.measureNanos = measureNanos;
        this.warmedUp = warmedUp;
        this.measure = measure;
        this.random = 0x2545_F491_4F6C_DD1DL + 0x9E37_79B9L * id;
    }

    @Override
    public void run() {
        for (long i = 0; i < warmup; i++) {
            send(System.nanoTime());
        }
        warmedUp.countDown();
        try {
            if (!measure.await(60, TimeUnit.SECONDS)) {
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        long start = startNanos;
        for (long k = 0; orders > 0 ? k < orders : true; k++) {
            long intended;
            if (intervalNanos > 0) {
                intended = start + (long) (k * intervalNanos);
                if (orders == 0 && intended - start >= measureNanos) {
                    break;
                }
                waitUntil(intended);
            } else {
                intended = System.nanoTime();
                if (orders == 0 && intended - start >= measureNanos) {
                    break;
                }
            }
            send(intended);
            if ((k & 1023) == 0) {
                sent = k + 1;
            }
        }
        sent = sentExactlyCount;
    }

    /** {@return the orders this producer sent in the measured phase; read it after joining the thread} */
    long sentExactly() {
        return sentExactlyCount;
    }

    private static void waitUntil(long intended) {
        long wait;
        while ((wait = intended - System.nanoTime()) > 0) {
            if (wait > 200_000) {
                LockSupport.parkNanos(wait - 100_000);
            } else {
                Thread.onSpinWait();
            }
        }
    }

    private void send(long intended) {
        long r = nextRandom();
        long size = OrderCodec.MIN_SIZE + (r & 0xFF) % (OrderCodec.MAX_SIZE - OrderCodec.MIN_SIZE + 1);
        long address = allocator.allocateAddress(size);
        OrderCodec.encode(view.write(address, size), size, ((long) id << PRODUCER_SHIFT) | sequence, r >>> 8,
                100_000_000L + (r & 0xFFFF), 1 + ((r >>> 16) & 0x3FF), (int) ((r >>> 32) & 0xFFF),
                (r & 0x100) == 0 ? (byte) 'B' : (byte) 'S');
        long slot = ring.next();
        TradingPipeline.OrderEvent event = ring.get(slot);
        event.address = address;
        event.size = size;
        event.intendedNanos = intended;
        event.sentNanos = System.nanoTime();
        ring.publish(slot);
        sequence++;
        sentExactlyCount = sequence - warmup;
    }

    private long nextRandom() {
        random ^= random << 13;
        random ^= random >>> 7;
        random ^= random << 17;
        return random;
    }
}
