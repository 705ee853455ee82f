package io.segpool.allocator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static io.segpool.allocator.RefusalMessageTest.refused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code close()} gives back and what it leaves: every byte reserved or mapped is unmapped
 * (the reservation itself, with the address and length it was reserved with, and every large
 * block, cached or live); the background release thread ends; later calls are refused as closed,
 * also on paths that would find a block in a ring without touching memory; the closed allocator
 * is no one's owner any more; and the leak report is logged exactly when tracked blocks are live.
 */
@Timeout(60)
class CloseMutationTest {

    @Test
    void closeUnmapsTheReservationAndEveryLargeBlock() {
        RecordingMapper mapper = new RecordingMapper();
        NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults(), mapper);
        allocator.allocateAddress(64);
        allocator.freeAddress(allocator.allocateAddress(4096), 4096);
        allocator.allocateAddress(3L << 20);                                // live at close
        allocator.freeAddress(allocator.allocateAddress(5L << 20), 5L << 20); // cached at close
        assertTrue(mapper.outstanding() > 0);
        allocator.close();
        assertEquals(0, mapper.outstanding(), "bytes still mapped or reserved after close");
        RecordingMapper.Range reservation = mapper.reserved().getFirst();
        assertTrue(mapper.unmapped().contains(reservation), "the reservation " + reservation + " was not unmapped");
        allocator.close(); // idempotent: nothing is unmapped twice
        assertEquals(0, mapper.outstanding());
    }

    @Test
    void closeEndsTheBackgroundReleaseThread() throws InterruptedException {
        NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withReleaseAfter(Duration.ofHours(1)));
        Thread release = allocator.backgroundReleaseThread();
        assertTrue(release.isAlive());
        allocator.close();
        release.join(TimeUnit.SECONDS.toMillis(30));
        assertFalse(release.isAlive(), "the release thread outlived its allocator");
    }

    @Test
    void aBlockInARingIsNotHandedOutAfterClose() {
        NativeAllocator unchecked = NativeAllocator.create(AllocatorConfig.defaults().withCheckFrees(false));
        unchecked.freeAddress(unchecked.allocateAddress(64), 64); // the ring holds blocks now
        unchecked.close();
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> unchecked.allocateAddress(64));
        assertEquals(Refusals.closed().getMessage(), refused.getMessage());
    }

    @Test
    void aHeldCacheWithExtrasSaysItsAllocatorIsClosed() {
        NativeAllocator zeroed = NativeAllocator.create(AllocatorConfig.defaults().withZeroed(true));
        ThreadCache cache = zeroed.threadCache();
        cache.free(cache.allocate(64));
        zeroed.close();
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> cache.allocate(64));
        assertEquals(Refusals.closed().getMessage(), refused.getMessage());
    }

    @Test
    void aClosedAllocatorOwnsNothingAndFreesAfterCloseAreRefusedAsClosed() {
        RefusalMessageTest.forgetClosedAllocators();
        try (NativeAllocator allocator = NativeAllocator.create()) {
            NativeAllocator other = NativeAllocator.create();
            long theirs = other.allocateAddress(64);
            other.close();
            refused(allocator, IllegalArgumentException.class, RefusalMessageTest.notFromHere(theirs, 64),
                    () -> allocator.freeAddress(theirs, 64));
            IllegalStateException closed = assertThrows(IllegalStateException.class,
                    () -> other.free(MemorySegment.ofArray(new byte[64])));
            assertEquals(Refusals.closed().getMessage(), closed.getMessage());
        }
    }

    @Test
    void theLeakReportIsLoggedOnCloseOnlyWhenTrackedBlocksAreLive() {
        Logger logger = Logger.getLogger("io.segpool.allocator.leaks");
        List<LogRecord> records = new ArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                records.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(handler);
        try {
            AllocatorConfig tracked = AllocatorConfig.defaults().withLeakTracking(AllocatorConfig.LeakTracking.EVERY);
            NativeAllocator clean = NativeAllocator.create(tracked);
            clean.freeAddress(clean.allocateAddress(64), 64);
            clean.close();
            NativeAllocator untracked = NativeAllocator.create();
            untracked.allocateAddress(64);
            untracked.close();
            assertEquals(List.of(), records.stream().map(LogRecord::getMessage).toList(), "nothing to report");

            NativeAllocator leaky = NativeAllocator.create(tracked);
            long leaked = leaky.allocateAddress(96);
            leaky.close();
            assertEquals(1, records.size());
            assertEquals(Level.WARNING, records.getFirst().getLevel());
            String report = records.getFirst().getMessage();
            assertTrue(report.contains("1 blocks (96 bytes) still in use"), report);
            assertTrue(report.contains("block 0x" + Long.toHexString(leaked)), report);
        } finally {
            logger.removeHandler(handler);
        }
    }
}
