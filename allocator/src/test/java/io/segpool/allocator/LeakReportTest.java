package io.segpool.allocator;

import io.segpool.allocator.AllocatorConfig.LeakTracking;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A planted leak is found with the method that allocated it; freed blocks are not reported. */
class LeakReportTest {

    @Test
    void everyBlockTrackingNamesTheAllocationSiteOfEachLeak() {
        try (NativeAllocator allocator = NativeAllocator.create(
                AllocatorConfig.defaults().withLeakTracking(LeakTracking.EVERY))) {
            for (int i = 0; i < 100; i++) {
                allocator.freeAddress(allocator.allocateAddress(64), 64); // freed: not a leak
            }
            long leaked = plantLeak(allocator);
            long large = allocator.allocateAddress(2 << 20);
            allocator.freeAddress(large, 2 << 20);

            String report = allocator.leakReport();
            assertTrue(report.startsWith("segpool leak report: 1 blocks (96 bytes) still in use; 1 tracked"), report);
            assertTrue(report.contains("block 0x" + Long.toHexString(leaked) + " of 90 bytes"), report);
            assertTrue(report.contains("LeakReportTest.plantLeak"), "the allocation site is named:\n" + report);
        }
    }

    @Test
    void sampledTrackingFindsSomeOfManyLeaks() {
        try (NativeAllocator allocator = NativeAllocator.create(
                AllocatorConfig.defaults().withLeakTracking(LeakTracking.SAMPLED))) {
            for (int i = 0; i < 10_000; i++) {
                plantLeak(allocator);
            }
            String report = allocator.leakReport();
            long tracked = report.lines().filter(line -> line.startsWith("block 0x")).count();
            assertTrue(report.startsWith("segpool leak report: 10000 blocks"), report.lines().findFirst().orElse(""));
            // 1 in 128 of 10,000: 78 expected; the bounds are > 6 standard deviations wide.
            assertTrue(tracked > 20 && tracked < 160, tracked + " tracked");
            assertTrue(report.contains("LeakReportTest.plantLeak"));
        }
    }

    @Test
    void withTrackingOffTheReportStillCountsAndNothingLeakedReportsNothing() {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            assertEquals("", allocator.leakReport());
            long block = plantLeak(allocator);
            assertTrue(allocator.leakReport().contains("leak tracking is off"), allocator.leakReport());
            allocator.freeAddress(block, 90);
            assertEquals("", allocator.leakReport());
        }
        assertThrows(IllegalArgumentException.class, () -> AllocatorConfig.defaults().withCheckFrees(false)
                .withLeakTracking(LeakTracking.EVERY));
    }

    private static long plantLeak(NativeAllocator allocator) {
        return allocator.allocateAddress(90);
    }
}
