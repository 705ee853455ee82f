package io.segpool.pools;

import io.segpool.allocator.AllocatorConfig;
import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeout;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Attacks on {@link StackPool#create(long, long, AllocatorConfig)}'s per-stack
 * segment cache with a huge {@code stackCacheBytes}, which the pool once accepted ("0 or more")
 * and turned into a slot count of up to {@code Integer.MAX_VALUE}: the slot arrays are made at
 * the first keep, and a trim passes over every slot of every stack. Either a refusal naming the
 * value, or a cache that loses nothing and trims fast, passes; the pool now refuses.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StackCacheBoundTest {

    private static final long SEGMENT = StackPool.MIN_SEGMENT_SIZE;

    /**
     * The first frame close that empties a segment keeps it: with {@code Integer.MAX_VALUE} slots
     * their array cannot be made, and the segment must not be lost (counted in Inuse forever) with
     * the frame left open.
     */
    @Test
    void aHugeStackCacheIsRefusedOrLosesNoSegment() {
        StackPool pool;
        try {
            pool = StackPool.create(SEGMENT, Long.MAX_VALUE, AllocatorConfig.defaults());
        } catch (IllegalArgumentException refused) {
            assertTrue(refused.getMessage().contains(String.valueOf(Long.MAX_VALUE)), refused.getMessage());
            return;
        }
        try (pool) {
            Throwable thrown = null;
            try (SegmentedStack stack = pool.newStack()) {
                Frame frame = stack.push();
                frame.allocate(64);
                try {
                    frame.close();
                } catch (Throwable t) {
                    thrown = t;
                }
            }
            MemStats stats = SpareSegmentTest.stats(pool);
            Throwable closeFailure = thrown;
            assertAll(() -> assertNull(closeFailure, "a frame close with a huge stack cache threw"),
                    () -> assertEquals(0, stats.inuse(), "after the stack's close, a segment is still handed out: " + stats));
        }
    }

    /**
     * A trim steals from {@code capacity} slots per live stack whether or not the stack ever
     * kept a segment: with {@code Integer.MAX_VALUE} slots each, a trim with 2 idle stacks would
     * pass over 2^32 slots, where a trim of stacks that hold nothing should take microseconds.
     */
    @Test
    void aTrimOverIdleStacksIsFastWhateverTheirCacheBound() throws Exception {
        StackPool pool;
        try {
            pool = StackPool.create(SEGMENT, Long.MAX_VALUE / 2, AllocatorConfig.defaults());
        } catch (IllegalArgumentException refused) {
            return; // refusing the bound is a fix too
        }
        try (pool) {
            List<SegmentedStack> stacks = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                stacks.add(pool.newStack()); // registered, never keeps a segment
            }
            assertTimeout(Duration.ofSeconds(1), () -> {
                pool.trim();
            }, "one trim of 2 idle stacks");
            for (SegmentedStack stack : stacks) {
                stack.close();
            }
        }
    }
}
