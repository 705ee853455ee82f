package io.segpool.allocator;

import io.segpool.stats.MemStats;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@link Heap}'s own promises, each at its edge: a reservation of exactly N chunks holds N and
 * refuses the next one with nothing changed; the state tables never overlap the heap bytes they
 * describe; the reservation is the heap plus its tables (and, for a limit, room for eight times
 * the limit); a chunk commits itself and its tables, not more; and the heap's mapping and release
 * of a chunk are recorded for JFR. A heap built directly (package-private) is the only way to
 * reach the end of a reservation in a test: an allocator's is at least 1 GiB.
 */
@Timeout(60)
class HeapTest {

    private static final long GRAIN = Heap.GRAIN;
    private static final int CLASS_64 = SizeClasses.classOf(64);

    @Test
    void aReservationOfFourChunksHoldsFourAndRefusesTheFifthWithNothingChanged() {
        MemoryBudget budget = new MemoryBudget("heap-test", AllocatorConfig.UNLIMITED);
        Heap heap = new Heap(OsMemory.INSTANCE, budget, 4 * GRAIN);
        try {
            for (int i = 0; i < 4; i++) {
                assertEquals(i * GRAIN, heap.carve(CLASS_64, GRAIN, false), "chunk " + i + " fits, the last exactly");
            }
            assertEquals(4 * GRAIN, heap.topAcquire());
            assertEquals(-1, heap.carve(CLASS_64, GRAIN, false), "no room left: refused before the last try");
            assertEquals(4 * GRAIN, budget.resident(), "the refused chunk's bytes went back to the budget");
            OutOfMemoryError full = assertThrows(OutOfMemoryError.class, () -> heap.carve(CLASS_64, GRAIN, true));
            assertEquals("allocate: a new chunk of 64-byte blocks needs 65536 bytes, but this allocator's reservation"
                    + " of 262144 bytes is used up (0 of them released and too fragmented to reuse)", full.getMessage());
            assertEquals(4 * GRAIN, heap.topAcquire(), "a refusal commits nothing");

            // One chunk released in the middle: a chunk of its length reuses it, a longer one cannot.
            heap.release(GRAIN, GRAIN);
            assertEquals(GRAIN, heap.released());
            assertEquals(-1, heap.carve(CLASS_64, 2 * GRAIN, false));
            OutOfMemoryError fragmented = assertThrows(OutOfMemoryError.class,
                    () -> heap.carve(CLASS_64, 2 * GRAIN, true));
            assertTrue(fragmented.getMessage().contains("(65536 of them released and too fragmented to reuse)"),
                    fragmented.getMessage());
            long resident = budget.resident();
            assertEquals(GRAIN, heap.carve(CLASS_64, GRAIN, false), "the released range is carved again");
            assertEquals(0, heap.released());
            assertEquals(resident + GRAIN, budget.resident());
        } finally {
            heap.close();
        }
        assertTrue(!heap.isAlive(), "closed: its memory is unmapped and its segments invalid");
    }

    @Test
    void blockStatesNeverTouchTheHeapBytesTheyDescribe() {
        long heapBytes = 16 * GRAIN;
        Heap heap = new Heap(OsMemory.INSTANCE, new MemoryBudget("heap-test", AllocatorConfig.UNLIMITED), heapBytes);
        try {
            for (int i = 0; i < 16; i++) {
                assertEquals(i * GRAIN, heap.carve(CLASS_64, GRAIN, false));
            }
            MemorySegment blocks = heap.all.asSlice(0, heapBytes);
            blocks.fill((byte) 0x5A);
            // Every state slot of both tables written, for the whole heap.
            for (long offset = 0; offset < heapBytes; offset += 16) {
                BlockState.handOut(heap.all, heap.intTable, heap.byteTable, 0, offset, 15);
            }
            for (long offset = 0; offset < heapBytes; offset += 64) {
                BlockState.handOut(heap.all, heap.intTable, heap.byteTable, CLASS_64, offset, 64);
            }
            MemorySegment expected = MemorySegment.ofArray(new byte[(int) heapBytes]).fill((byte) 0x5A);
            assertEquals(-1, blocks.mismatch(expected), "a state write landed inside the heap");
            for (long offset = 0; offset < heapBytes; offset += 4096) {
                assertEquals(15, BlockState.handedOutSize(heap, 0, offset));
                assertEquals(64, BlockState.handedOutSize(heap, CLASS_64, offset));
            }
        } finally {
            heap.close();
        }
    }

    @Test
    void theReservationIsTheHeapAndItsTablesWithRoomForEightTimesTheLimit() {
        assertReservation(AllocatorConfig.defaults(), Heap.DEFAULT_HEAP);
        assertReservation(AllocatorConfig.defaults().withMemoryLimit(256L << 20), 8 * (256L << 20));
        assertReservation(AllocatorConfig.defaults().withMemoryLimit(1L << 20), 1L << 30);
    }

    private static void assertReservation(AllocatorConfig config, long heapBytes) {
        RecordingMapper mapper = new RecordingMapper();
        try (NativeAllocator allocator = NativeAllocator.create(config, mapper)) {
            assertEquals(1, mapper.reserved().size(), "one reservation per allocator");
            long length = mapper.reserved().getFirst().length();
            assertTrue(length >= heapBytes && length <= heapBytes + heapBytes / 4,
                    "reserved " + length + " bytes for a heap of " + heapBytes + " (" + config + ")");
            allocator.freeAddress(allocator.allocateAddress(64), 64);
        }
    }

    @Test
    void aChunkCommitsItselfAndItsStatesAndNothingMore() {
        RecordingMapper mapper = new RecordingMapper();
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults(), mapper)) {
            assertEquals(0, mapper.committed(), "a fresh allocator commits nothing");
            for (long size : new long[] {64, 4096, SizeClasses.MAX_SIZE}) {
                long before = mapper.committed();
                long chunk = SizeClasses.blocksPerChunk(SizeClasses.classOf(size)) * NativeAllocator.blockSize(size);
                allocator.freeAddress(allocator.allocateAddress(size), size);
                long committed = mapper.committed() - before;
                assertTrue(committed >= chunk && committed <= chunk + chunk / 4 + 4096,
                        "a " + chunk + "-byte chunk of " + size + " B blocks committed " + committed + " bytes");
            }
        }
    }

    /** The class table holds 2048 grains (128 MiB of heap) a page: chunks past it are found too. */
    @Test
    void chunksPastTheFirstPageOfTheClassTableAreFoundByAddress() {
        long size = SizeClasses.MAX_SIZE; // one block per 1 MiB chunk: committed, never touched
        int count = 130;
        try (NativeAllocator allocator = NativeAllocator.create()) {
            long[] blocks = new long[count];
            for (int i = 0; i < count; i++) {
                blocks[i] = allocator.allocateAddress(size);
            }
            assertTrue(allocator.heap.topAcquire() > 2048 * GRAIN);
            for (long block : blocks) {
                assertEquals(size - 16, allocator.segment(block + 16, size - 16).byteSize());
                allocator.freeAddress(block, size);
            }
            assertEquals(0, TestSupport.stats(allocator).inuse());
        }
    }

    @Test
    void theHeapsMappingAndReleaseOfAChunkAreRecorded() throws Exception {
        Path file = Files.createTempFile("segpool-heap", ".jfr");
        MemStats after;
        try (Recording recording = new Recording()) {
            recording.enable("io.segpool.ChunkMapped");
            recording.enable("io.segpool.ChunkReleased");
            recording.start();
            try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withName("heap-events"))) {
                allocator.freeAddress(allocator.allocateAddress(4096), 4096);
                allocator.threadCache().flush();
                assertEquals(GRAIN, allocator.trim());
                after = TestSupport.stats(allocator);
            }
            recording.stop();
            recording.dump(file);
        }
        List<RecordedEvent> ours = RecordingFile.readAllEvents(file).stream()
                .filter(e -> "heap-events".equals(e.getString("allocator"))).toList();
        Files.delete(file);
        assertTrue(ours.stream().anyMatch(e -> e.getEventType().getName().equals("io.segpool.ChunkMapped")
                && e.getLong("bytes") == GRAIN && e.getLong("blockSize") == 4096 && e.getLong("sys") == GRAIN), ours::toString);
        assertTrue(ours.stream().anyMatch(e -> e.getEventType().getName().equals("io.segpool.ChunkReleased")
                && e.getLong("bytes") == GRAIN && e.getLong("blockSize") == 4096 && e.getLong("sys") == after.sys()),
                ours::toString);
    }
}
