package io.segpool.counters;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;

import static io.segpool.counters.CountersLayout.WORD;

/**
 * Reads a counters file another process publishes, without writing a byte of it: the file is
 * opened and mapped read-only. {@link #open(Path)} checks the header (the magic, the layout
 * version, the length it claims against the file's) so that a truncated, foreign or garbage file
 * is refused with one clear sentence; {@link #read()} copies one whole publication under the
 * sequence word. One thread at a time uses a reader.
 */
public final class CountersReader implements AutoCloseable {

    private static final VarHandle SEQUENCE = WORD.varHandle();
    /** How long {@link #read()} waits for a publication in progress to finish before it gives up. */
    private static final long BUSY_NANOS = 200_000_000L;

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final long capacity;

    private CountersReader(Path path, Arena arena, MemorySegment file, long capacity) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.capacity = capacity;
    }

    /**
     * Opens and checks a counters file.
     *
     * @param path the file, as a publisher's {@link CountersPublisher#path()} names it
     * @return a reader of it
     * @throws CountersFileException if there is no such file, it cannot be read, or it is not a
     *         whole counters file of this layout version
     */
    public static CountersReader open(Path path) throws CountersFileException {
        long size;
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            if (!Files.isRegularFile(path)) {
                throw new CountersFileException(path + " is not a regular file");
            }
            size = channel.size();
            if (size < CountersLayout.CLASSES_OFFSET) {
                throw new CountersFileException(path + " is not a segpool counters file: " + size + " bytes, shorter"
                        + " than the " + CountersLayout.CLASSES_OFFSET + "-byte header (truncated?)");
            }
            Arena arena = Arena.ofConfined();
            MemorySegment file = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            try {
                return new CountersReader(path, arena, file, check(path, file, size));
            } catch (CountersFileException e) {
                arena.close();
                throw e;
            }
        } catch (NoSuchFileException e) {
            throw new CountersFileException(path + ": no such file (is the process running, and publishing there?)", e);
        } catch (CountersFileException e) {
            throw e;
        } catch (IOException e) {
            throw new CountersFileException(path + ": cannot read it: " + e.getMessage(), e);
        }
    }

    /** Checks the header words that do not change while a publisher runs; returns the class capacity. */
    private static long check(Path path, MemorySegment file, long size) throws CountersFileException {
        if (file.get(WORD, CountersLayout.MAGIC_OFFSET) != CountersLayout.MAGIC) {
            throw new CountersFileException(path + " is not a segpool counters file: its first 8 bytes are not"
                    + " \"SEGPCNTR\"");
        }
        long version = file.get(WORD, CountersLayout.VERSION_OFFSET);
        if (version != CountersLayout.VERSION) {
            throw new CountersFileException(path + " has counters layout version " + version + "; this reader reads"
                    + " version " + CountersLayout.VERSION + " only: read it with the segpool of the writing process");
        }
        long length = file.get(WORD, CountersLayout.LENGTH_OFFSET);
        long capacity = file.get(WORD, CountersLayout.CLASS_CAPACITY_OFFSET);
        if (length != size) {
            throw new CountersFileException(path + " is " + size + " bytes but its header says " + length
                    + ": truncated or damaged");
        }
        if (capacity < 0 || capacity > CountersLayout.MAX_CLASSES || CountersLayout.length(capacity) != length) {
            throw new CountersFileException(path + " is damaged: room for " + capacity + " class rows does not"
                    + " match its length of " + length + " bytes");
        }
        return capacity;
    }

    /** {@return the file this reader reads} */
    public Path path() {
        return path;
    }

    /**
     * Copies one whole publication: retries while the publisher is writing, until the sequence
     * word reads the same even value before and after the copy.
     *
     * @return the figures and header of one publication
     * @throws CountersFileException if a publication stayed in progress for 200 ms (its writer
     *         died in the middle of one), the class count is damaged, or the file shrank under
     *         the reader
     * @throws IllegalStateException if this reader is closed
     */
    public CountersSnapshot read() throws CountersFileException {
        long deadline = System.nanoTime() + BUSY_NANOS;
        try {
            while (true) {
                long before = (long) SEQUENCE.getAcquire(file, CountersLayout.SEQUENCE_OFFSET);
                if ((before & 1) == 0) {
                    CountersSnapshot copy = copy();
                    VarHandle.acquireFence(); // the copy's loads before the second look at the word
                    long after = (long) SEQUENCE.getOpaque(file, CountersLayout.SEQUENCE_OFFSET);
                    if (after == before && copy != null) {
                        return copy;
                    }
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new CountersFileException(path + ": a publication stayed in progress for "
                            + BUSY_NANOS / 1_000_000 + " ms: its writer stopped in the middle of one (stale file)");
                }
                Thread.onSpinWait();
            }
        } catch (InternalError e) {
            // A mapped file truncated by someone else faults on access; the JVM reports it so.
            throw new CountersFileException(path + " shrank while being read: " + e.getMessage(), e);
        }
    }

    /** One copy of the figures, or null if the class count read is out of range (a torn read: retry). */
    private CountersSnapshot copy() throws CountersFileException {
        long count = file.get(WORD, CountersLayout.CLASS_COUNT_OFFSET);
        if (count < 0 || count > capacity) {
            if ((long) SEQUENCE.getAcquire(file, CountersLayout.SEQUENCE_OFFSET) % 2 == 0) {
                throw new CountersFileException(path + " is damaged: " + count + " class rows filled, room for "
                        + capacity);
            }
            return null;
        }
        long[] figures = new long[CountersLayout.FIGURES.length];
        for (int i = 0; i < figures.length; i++) {
            figures[i] = file.get(WORD, CountersLayout.FIGURES_OFFSET + 8L * i);
        }
        long[][] classes = new long[(int) count][CountersLayout.ROW_WORDS];
        for (int c = 0; c < count; c++) {
            for (int w = 0; w < CountersLayout.ROW_WORDS; w++) {
                classes[c][w] = file.get(WORD, CountersLayout.CLASSES_OFFSET + c * CountersLayout.ROW_BYTES + 8L * w);
            }
        }
        byte[] name = file.asSlice(CountersLayout.NAME_OFFSET, CountersLayout.NAME_BYTES).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        int length = 0;
        while (length < name.length && name[length] != 0) {
            length++;
        }
        long state = file.get(WORD, CountersLayout.STATE_OFFSET);
        return new CountersSnapshot(file.get(WORD, CountersLayout.PID_OFFSET),
                new String(name, 0, length, StandardCharsets.UTF_8),
                Instant.ofEpochMilli(file.get(WORD, CountersLayout.START_OFFSET)),
                Duration.ofNanos(file.get(WORD, CountersLayout.PERIOD_OFFSET)),
                Instant.ofEpochMilli(file.get(WORD, CountersLayout.HEARTBEAT_OFFSET)),
                file.get(WORD, CountersLayout.PUBLICATIONS_OFFSET), stateName(state), figures, classes);
    }

    private static String stateName(long state) {
        return switch ((int) state) {
            case (int) CountersLayout.STATE_LIVE -> "live";
            case (int) CountersLayout.STATE_CLOSED -> "closed";
            case (int) CountersLayout.STATE_FAILED -> "failed";
            default -> "starting";
        };
    }

    /** Unmaps the file. Idempotent. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
