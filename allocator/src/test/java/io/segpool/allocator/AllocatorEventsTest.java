package io.segpool.allocator;

import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The slow paths show up in a JFR recording with their sizes and counts and the name of the
 * allocator they happened in; ring hits do not.
 */
class AllocatorEventsTest {

    /**
     * Refill and Spill fire once per batch exchange, thousands of times a second in a churning
     * program, so a recording gets them only when it names them (JFR's own frequent events are
     * off or throttled by default the same way); the rare events stay on.
     */
    @Test
    void aRecordingThatDoesNotNameThemGetsNoRefillOrSpill() throws Exception {
        Path file = Files.createTempFile("segpool", ".jfr");
        try (Recording recording = new Recording()) {
            recording.start();
            try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withName("events-default"))) {
                long[] blocks = new long[100];
                for (int i = 0; i < blocks.length; i++) {
                    blocks[i] = allocator.allocateAddress(64);
                }
                for (long block : blocks) {
                    allocator.freeAddress(block, 64);
                }
            }
            recording.stop();
            recording.dump(file);
        }
        Set<String> names = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().startsWith("io.segpool."))
                .filter(e -> "events-default".equals(e.getString("allocator")))
                .map(e -> e.getEventType().getName()).collect(Collectors.toSet());
        Files.delete(file);
        assertEquals(Set.of("io.segpool.ChunkMapped"), names, "a default recording: the chunk carved, no exchange");
    }

    @Test
    void slowPathsAreRecordedWithTheirFigures() throws Exception {
        Path file = Files.createTempFile("segpool", ".jfr");
        try (Recording recording = new Recording()) {
            for (String name : List.of("Refill", "Spill", "ChunkMapped", "ChunkReleased", "SpanMapped", "SpanUnmapped", "Trim",
                    "CacheReclaimed")) {
                recording.enable("io.segpool." + name);
            }
            recording.start();
            try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withName("events-main"));
                 NativeAllocator other = NativeAllocator.create(AllocatorConfig.defaults().withName("events-other"))) {
                other.freeAddress(other.allocateAddress(64), 64); // one refill, one chunk, in the other allocator
                // 100 blocks of 64 B: 7 refills of 16; freeing them all overflows the 32-slot ring: spills.
                long[] blocks = new long[100];
                for (int i = 0; i < blocks.length; i++) {
                    blocks[i] = allocator.allocateAddress(64);
                }
                for (long block : blocks) {
                    allocator.freeAddress(block, 64);
                }
                // Ring hits only: no event.
                for (int i = 0; i < 1000; i++) {
                    allocator.freeAddress(allocator.allocateAddress(64), 64);
                }
                TestThreads.Failure failure = new TestThreads.Failure();
                Thread worker = TestThreads.start("short-lived", failure,
                        () -> allocator.freeAddress(allocator.allocateAddress(4096), 4096));
                TestThreads.joinAll(worker);
                failure.rethrow("the short-lived thread failed");
                long large = allocator.allocateAddress(3 << 20);
                allocator.freeAddress(large, 3 << 20);
                allocator.trim();
            }
            recording.stop();
            recording.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        Files.delete(file);
        List<RecordedEvent> ours = events.stream().filter(e -> e.getEventType().getName().startsWith("io.segpool.")).toList();
        assertTrue(ours.stream().allMatch(e -> e.getString("allocator") != null), "every event names its allocator");
        assertEquals(Set.of("Refill", "Spill", "ChunkMapped", "ChunkReleased", "SpanMapped", "SpanUnmapped", "Trim", "CacheReclaimed"),
                ours.stream().filter(e -> "events-main".equals(e.getString("allocator")))
                        .map(e -> e.getEventType().getName().substring("io.segpool.".length())).collect(Collectors.toSet()),
                "each kind of event, named after the allocator it happened in");
        List<RecordedEvent> others = ours.stream().filter(e -> "events-other".equals(e.getString("allocator"))).toList();
        assertEquals(1, others.stream().filter(e -> e.getEventType().getName().equals("io.segpool.Refill")).count(),
                "the other allocator's one refill, under its own name: " + others);
        assertTrue(others.stream().anyMatch(e -> e.getEventType().getName().equals("io.segpool.ChunkMapped")));
        var byName = ours.stream().filter(e -> "events-main".equals(e.getString("allocator")))
                .collect(Collectors.groupingBy(e -> e.getEventType().getName()));

        List<RecordedEvent> refills = byName.get("io.segpool.Refill");
        assertEquals(7, refills.stream().filter(e -> e.getLong("blockSize") == 64).count(), "refills of 64 B");
        assertTrue(refills.stream().allMatch(e -> e.getInt("blocks") == 16));
        List<RecordedEvent> spills = byName.get("io.segpool.Spill");
        assertTrue(spills.stream().filter(e -> e.getLong("blockSize") == 64).count() >= 4, "spills of 64 B: " + spills.size());

        List<RecordedEvent> mapped = byName.get("io.segpool.ChunkMapped");
        assertTrue(mapped.stream().anyMatch(e -> e.getLong("blockSize") == 64 && e.getLong("bytes") % 65536 == 0));
        assertTrue(mapped.stream().allMatch(e -> e.getLong("bytes") < 3 << 20), "a class chunk is not a span: " + mapped);
        assertTrue(byName.get("io.segpool.SpanMapped").stream().anyMatch(e -> e.getLong("bytes") >= 3 << 20),
                "the large block's own mapping");
        assertTrue(byName.get("io.segpool.SpanUnmapped").stream().anyMatch(e -> e.getLong("bytes") >= 3 << 20),
                "the large block went back");
        assertTrue(byName.get("io.segpool.ChunkReleased").stream().allMatch(e -> e.getLong("blockSize") > 0
                && e.getLong("bytes") % 65536 == 0), "trim released class chunks with madvise, each naming its class");

        RecordedEvent trim = byName.get("io.segpool.Trim").getFirst();
        assertTrue(trim.getLong("bytes") > 0, "trim unmapped the free 4 KiB chunk and the 64 B chunk");
        RecordedEvent reclaimed = byName.get("io.segpool.CacheReclaimed").stream()
                .filter(e -> "short-lived".equals(e.getString("thread"))).findFirst().orElseThrow();
        assertEquals(16, reclaimed.getLong("blocks"), "the dead thread held one refill of 16 blocks, one came back");
    }
}
