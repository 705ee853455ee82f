package io.segpool.counters;

import io.segpool.allocator.AllocatorConfig;
import io.segpool.allocator.NativeAllocator;
import io.segpool.stats.MemStats;
import io.segpool.stats.MemStatsSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Publishing and reading in one process against a real allocator, and the file's safety rules. */
@Timeout(30)
class CountersFileTest {

    @TempDir
    Path dir;

    @Test
    void theFileHoldsTheSourcesFiguresAndGoesAwayOnClose() throws Exception {
        Path path = dir.resolve("a.counters");
        try (NativeAllocator allocator = NativeAllocator.create(AllocatorConfig.defaults().withName("files"))) {
            MemorySegment kept = allocator.allocate(100);
            CountersSnapshot read;
            try (CountersPublisher publisher = CountersFile.publish(path, allocator, Duration.ofMillis(20));
                 CountersReader reader = CountersReader.open(path)) {
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
                read = reader.read();
                MemStats expected = new MemStats();
                allocator.readMemStats(expected);
                assertSame(expected, read);
                assertEquals("files", read.name());
                assertEquals(ProcessHandle.current().pid(), read.pid());
                assertEquals(Duration.ofMillis(20), read.period());
                assertEquals("live", read.state());
                assertNull(read.staleness(Instant.now()));
                assertTrue(read.staleness(read.heartbeat().plusMillis(61)) != null, "stale past 3 periods");
                // The figures move: a free shows within a few periods.
                long mallocs = read.figure(CountersSnapshot.MALLOCS);
                allocator.free(kept);
                long frees;
                do {
                    frees = reader.read().figure(CountersSnapshot.FREES);
                    Thread.onSpinWait();
                } while (frees == read.figure(CountersSnapshot.FREES));
                assertEquals(read.figure(CountersSnapshot.FREES) + 1, frees);
                assertEquals(mallocs, reader.read().figure(CountersSnapshot.MALLOCS));
                assertEquals(path, publisher.path());
            }
            assertFalse(Files.exists(path), "close removes the file");
        }
    }

    /**
     * The seqlock: a source that alternates between two allocators whose every figure differs is
     * published every millisecond while the test reads flat out; a torn read would mix the two.
     */
    @Test
    void aReaderNeverSeesHalfOfOnePublicationAndHalfOfTheNext() throws Exception {
        Path path = dir.resolve("torn.counters");
        try (NativeAllocator a = NativeAllocator.create(); NativeAllocator b = NativeAllocator.create()) {
            for (int i = 0; i < 1000; i++) {
                b.allocate(16 + (i % 64) * 16);
            }
            MemStats sa = new MemStats();
            MemStats sb = new MemStats();
            a.readMemStats(sa);
            b.readMemStats(sb);
            Alternating source = new Alternating(a, b);
            int seenA = 0;
            int seenB = 0;
            try (CountersPublisher publisher = CountersFile.publish(path, source, Duration.ofMillis(1));
                 CountersReader reader = CountersReader.open(path)) {
                long publications = reader.read().publications();
                long end = System.nanoTime() + 1_500_000_000L;
                while (System.nanoTime() < end) {
                    CountersSnapshot read = reader.read();
                    if (read.figure(CountersSnapshot.SYS) == sa.sys()) {
                        assertSame(sa, read);
                        seenA++;
                    } else {
                        assertSame(sb, read);
                        seenB++;
                    }
                }
                assertTrue(reader.read().publications() > publications + 100, "published every millisecond");
                assertNull(publisher.failure());
            }
            assertTrue(seenA > 100 && seenB > 100, "read both: " + seenA + " and " + seenB);
        }
    }

    @Test
    void aSymbolicLinkIsRefusedAndItsTargetUntouched() throws Exception {
        Path target = Files.writeString(dir.resolve("precious.txt"), "keep me");
        Path link = Files.createSymbolicLink(dir.resolve("link.counters"), target);
        try (NativeAllocator allocator = NativeAllocator.create()) {
            CountersFileException e = assertThrows(CountersFileException.class,
                    () -> CountersFile.publish(link, allocator, Duration.ofSeconds(1)));
            assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
            Path dangling = Files.createSymbolicLink(dir.resolve("dangling.counters"), dir.resolve("nothing"));
            assertThrows(CountersFileException.class, () -> CountersFile.publish(dangling, allocator, Duration.ofSeconds(1)));
            assertFalse(Files.exists(dir.resolve("nothing")), "a dangling link's target is not created");
        }
        assertEquals("keep me", Files.readString(target));
    }

    @Test
    void aFileThatIsNotACountersFileIsRefusedAndKept() throws Exception {
        Path other = Files.writeString(dir.resolve("notes.counters"), "not counters, and longer than the header ".repeat(10));
        byte[] before = Files.readAllBytes(other);
        try (NativeAllocator allocator = NativeAllocator.create()) {
            CountersFileException e = assertThrows(CountersFileException.class,
                    () -> CountersFile.publish(other, allocator, Duration.ofSeconds(1)));
            assertTrue(e.getMessage().contains("not a segpool counters file"), e.getMessage());
            assertThrows(CountersFileException.class,
                    () -> CountersFile.publish(dir, allocator, Duration.ofSeconds(1)), "a directory");
        }
        assertArrayEquals(before, Files.readAllBytes(other));
    }

    @Test
    void theLiveFileOfARunningPublisherIsRefusedAndAStaleOneReplaced() throws Exception {
        Path path = dir.resolve("live.counters");
        try (NativeAllocator allocator = NativeAllocator.create()) {
            try (CountersPublisher first = CountersFile.publish(path, allocator, Duration.ofSeconds(1))) {
                CountersFileException e = assertThrows(CountersFileException.class,
                        () -> CountersFile.publish(path, allocator, Duration.ofSeconds(1)));
                assertTrue(e.getMessage().contains("live counters file of process"), e.getMessage());
                // A copy with the pid of a process that has ended is stale: the next publisher replaces it.
                Process ended = new ProcessBuilder("true").start();
                ended.waitFor();
                Path copy = dir.resolve("stale.counters");
                byte[] bytes = Files.readAllBytes(path);
                java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                        .putLong((int) CountersLayout.PID_OFFSET, ended.pid());
                Files.write(copy, bytes);
                try (CountersPublisher second = CountersFile.publish(copy, allocator, Duration.ofSeconds(1));
                     CountersReader reader = CountersReader.open(copy)) {
                    assertEquals(ProcessHandle.current().pid(), reader.read().pid());
                }
            }
        }
    }

    @Test
    void garbageTruncatedAndOtherVersionsGiveOneClearSentence() throws Exception {
        Path path = dir.resolve("real.counters");
        byte[] real;
        try (NativeAllocator allocator = NativeAllocator.create();
             CountersPublisher publisher = CountersFile.publish(path, allocator, Duration.ofSeconds(1))) {
            real = Files.readAllBytes(path);
        }
        assertRefused(Files.write(dir.resolve("empty"), new byte[0]), "shorter than the 320-byte header");
        assertRefused(Files.write(dir.resolve("short"), java.util.Arrays.copyOf(real, 100)), "shorter than");
        assertRefused(Files.write(dir.resolve("cut"), java.util.Arrays.copyOf(real, real.length - 64)), "truncated");
        byte[] garbage = new byte[real.length];
        new java.util.Random(20).nextBytes(garbage);
        assertRefused(Files.write(dir.resolve("garbage"), garbage), "not a segpool counters file");
        byte[] version = real.clone();
        java.nio.ByteBuffer.wrap(version).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong((int) CountersLayout.VERSION_OFFSET, 7);
        assertRefused(Files.write(dir.resolve("v7"), version), "layout version 7");
        byte[] rows = real.clone();
        java.nio.ByteBuffer.wrap(rows).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong((int) CountersLayout.CLASS_COUNT_OFFSET, 1 << 20);
        try (CountersReader reader = CountersReader.open(Files.write(dir.resolve("rows"), rows))) {
            CountersFileException e = assertThrows(CountersFileException.class, reader::read);
            assertTrue(e.getMessage().contains("damaged"), e.getMessage());
        }
        assertRefused(dir.resolve("absent"), "no such file");
        // A closed publisher's last words: a reader of a copy says so.
        try (CountersReader reader = CountersReader.open(Files.write(dir.resolve("copy"), real))) {
            assertEquals("live", reader.read().state());
        }
    }

    private static void assertRefused(Path path, String words) {
        CountersFileException e = assertThrows(CountersFileException.class, () -> CountersReader.open(path).close());
        assertTrue(e.getMessage().contains(words), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
    }

    static void assertSame(MemStats expected, CountersSnapshot read) {
        long[] figures = {expected.sys(), expected.inuse(), expected.cached(), expected.central(), expected.released(),
            expected.mallocs(), expected.frees(), expected.threadCaches(), expected.stackSys(), expected.stackInuse(),
            expected.deferSys(), expected.deferInuse()};
        assertArrayEquals(figures, read.figures());
        assertEquals(expected.classCount(), read.classes().length);
        for (int c = 0; c < expected.classCount(); c++) {
            assertArrayEquals(new long[] {expected.classSize(c), expected.classMallocs(c), expected.classFrees(c),
                expected.classRefills(c), expected.classSpills(c), expected.classRingCapacity(c),
                expected.classBatch(c), expected.classChunkBytes(c)}, read.classes()[c], "class " + c);
        }
    }

    /** Reads two real allocators in turn, one per publication. */
    private static final class Alternating implements MemStatsSource {
        private final NativeAllocator a;
        private final NativeAllocator b;
        private boolean next;

        Alternating(NativeAllocator a, NativeAllocator b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public String name() {
            return "alternating";
        }

        @Override
        public void readMemStats(MemStats stats) {
            (next ? a : b).readMemStats(stats);
            next = !next;
        }
    }
}
