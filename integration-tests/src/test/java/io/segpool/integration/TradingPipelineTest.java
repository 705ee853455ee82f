package io.segpool.integration;

import io.segpool.allocator.NativeAllocator;
import io.segpool.pools.DeferPool;
import io.segpool.pools.StackPool;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The trading pipeline with real threads, the real Disruptor and real Chronicle views: 1e6 orders in
 * CI ({@code -Dsegpool.pipeline.orders=10000000} for the full 1e7).
 */
class TradingPipelineTest {

    private static final long ORDERS = Long.getLong("segpool.pipeline.orders", 1_000_000);

    @Test
    void everyOrderArrivesIntactWithFlatSysAndNoGarbageCollection() throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create(); StackPool stacks = StackPool.create();
             DeferPool defers = DeferPool.create()) {
            TradingPipeline.Result result = TradingPipeline.run(allocator, stacks, defers,
                    TradingPipeline.Config.ofOrders(ORDERS), done -> { });
            System.out.printf("pipeline: %,d orders in %.2f s (%,.0f/s), lost %d, corrupt %d, out of order %d;"
                            + " Sys after warm-up %,d, peak %,d, end %,d; GCs during run %d;"
                            + " latency ns (corrected at %,d ns) p50 %,d p99 %,d p99.9 %,d max %,d,"
                            + " as recorded p50 %,d p99 %,d p99.9 %,d%n",
                    result.orders(), result.seconds(), result.ordersPerSecond(), result.lost(), result.corrupt(),
                    result.outOfOrder(), result.sysAfterWarmup(), result.sysPeak(), result.sysEnd(),
                    result.gcDuringRun(), result.expectedIntervalNanos(), result.latency().p50(),
                    result.latency().p99(), result.latency().p999(), result.latency().max(),
                    result.uncorrected().p50(), result.uncorrected().p99(), result.uncorrected().p999());
            assertEquals(ORDERS, result.orders());
            assertEquals(0, result.lost(), "lost orders");
            assertEquals(0, result.corrupt(), "orders whose checksum failed");
            assertEquals(0, result.outOfOrder(), "orders out of sequence");
            assertEquals(0, result.inuseEnd(), "every block was freed");
            assertEquals(0, result.gcDuringRun(), "garbage collections during the measured run");
            // Coordinated-omission correction: one recorded value per measured order, and the corrected
            // histogram only adds values, each below the value it was derived from, at the stated interval.
            assertEquals(ORDERS, result.uncorrected().count(), "one latency value per measured order");
            assertEquals(Math.round(result.seconds() * 1e9 / ORDERS), result.expectedIntervalNanos());
            assertTrue(result.latency().count() >= result.uncorrected().count(), "the correction removes no value");
            assertEquals(result.uncorrected().max(), result.latency().max(), "and adds none above the largest");
            // Flat: after warm-up the run may map at most one more chunk for each of the size classes
            // that orders use (64..256 B: 16 classes of 192 KiB chunks or smaller), never in proportion to the count.
            long slack = 16L * 192 * 1024;
            assertTrue(result.sysPeak() <= result.sysAfterWarmup() + slack,
                    "Sys grew from " + result.sysAfterWarmup() + " to " + result.sysPeak());
        }
    }
}
