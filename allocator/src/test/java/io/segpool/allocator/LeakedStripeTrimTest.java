package io.segpool.allocator;

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
 * An attack on the virtual-thread stripes: a thread that dies holding one. Its stripe
 * comes back to the next virtual thread whose pick passes over it ({@link LeakedBorrowTest}), but
 * {@link NativeAllocator#trim()}, which empties every stripe no live thread holds
 * ({@link StripeTrimTest}), must reach it too: a dead holder's flag stays taken, so the trim takes
 * the stripe over as a virtual thread's pick would, empties it and gives it back.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LeakedStripeTrimTest {

    @Test
    void aStripeLeftByAnEndedBorrowerIsEmptiedByTrim() throws Exception {
        try (NativeAllocator allocator = NativeAllocator.create()) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread leaker = Thread.ofVirtual().start(() -> {
                try {
                    ThreadCache cache = allocator.borrowCache(); // never closed: the thread ends holding it
                    long[] blocks = new long[32];
                    cache.allocateBatch(64, blocks, 0, blocks.length);
                    cache.freeBatch(64, blocks, 0, blocks.length); // the stripe's ring keeps them
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            assertTrue(leaker.join(Duration.ofSeconds(30)), "the borrower hung");
            assertNull(failure.get());
            MemStats before = TestSupport.stats(allocator);
            assertTrue(before.cached() > 0, "the dead borrower's stripe holds its freed blocks\n" + before);
            allocator.trim();
            MemStats after = TestSupport.stats(allocator);
            assertEquals(0, after.cached(), "trim left the ended borrower's stripe full\n" + after);
            assertEquals(0, after.central(), "and released every chunk\n" + after);
            TestSupport.assertConserved(after);
        }
    }
}
