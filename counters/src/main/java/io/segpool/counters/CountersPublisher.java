package io.segpool.counters;

import io.segpool.stats.MemStats;
import io.segpool.stats.MemStatsSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static io.segpool.counters.CountersLayout.WORD;

/**
 * A running counters file: a daemon thread that reads its source every period and writes the
 * figures under the seqlock word (odd while writing, even once whole), then the heartbeat. Made by
 * {@link CountersFile#publish}; {@link #close()} stops the thread, marks the file closed and removes
 * it. The thread reuses one snapshot, so steady publishing makes no garbage.
 */
public final class CountersPublisher implements AutoCloseable {

    private static final VarHandle SEQUENCE = WORD.varHandle();

    private final Path path;
    private final MemStatsSource source;
    private final long periodNanos;
    private final Arena arena;
    private final MemorySegment file;
    private final long classCapacity;
    private final MemStats scratch = new MemStats();
    private final Thread thread;
    private volatile boolean closing;
    private volatile Throwable failure;
    private boolean closed;

    private CountersPublisher(Path path, MemStatsSource source, Duration period, Arena arena, MemorySegment file,
                              long classCapacity) {
        this.path = path;
        this.source = source;
        this.periodNanos = period.toNanos();
        this.arena = arena;
        this.file = file;
        this.classCapacity = classCapacity;
        this.thread = Thread.ofPlatform().daemon().name("segpool-counters-" + source.name()).unstarted(this::loop);
    }

    static CountersPublisher start(Path path, MemStatsSource source, Duration period, MemStats first)
            throws CountersFileException {
        long capacity = Math.min(first.classCount(), CountersLayout.MAX_CLASSES);
        Arena arena = Arena.ofShared();
        MemorySegment file;
        try {
            file = FileGuard.create(path, CountersLayout.length(capacity), arena);
        } catch (CountersFileException | RuntimeException e) {
            arena.close();
            throw e;
        }
        CountersPublisher publisher = new CountersPublisher(path, source, period, arena, file, capacity);
        publisher.writeHeader();
        publisher.write(first);
        file.set(WORD, CountersLayout.STATE_OFFSET, CountersLayout.STATE_LIVE);
        publisher.thread.start();
        return publisher;
    }

    /** {@return the counters file this publisher writes: give it to {@code ./segpool stat}} */
    public Path path() {
        return path;
    }

    /** {@return how often the figures are published} */
    public Duration period() {
        return Duration.ofNanos(periodNanos);
    }

    /**
     * {@return what stopped the publisher thread (its source closed, say), or null while it runs}
     * A stopped publisher leaves its last figures in the file, and its heartbeat goes stale.
     */
    public Throwable failure() {
        return failure;
    }

    private void writeHeader() {
        file.set(WORD, CountersLayout.MAGIC_OFFSET, CountersLayout.MAGIC);
        file.set(WORD, CountersLayout.VERSION_OFFSET, CountersLayout.VERSION);
        file.set(WORD, CountersLayout.LENGTH_OFFSET, file.byteSize());
        file.set(WORD, CountersLayout.PID_OFFSET, ProcessHandle.current().pid());
        file.set(WORD, CountersLayout.START_OFFSET, System.currentTimeMillis());
        file.set(WORD, CountersLayout.PERIOD_OFFSET, periodNanos);
        file.set(WORD, CountersLayout.CLASS_CAPACITY_OFFSET, classCapacity);
        byte[] name = source.name().getBytes(StandardCharsets.UTF_8);
        int length = Math.min(name.length, CountersLayout.NAME_BYTES);
        MemorySegment.copy(MemorySegment.ofArray(name), 0, file, CountersLayout.NAME_OFFSET, length);
    }

    /** Writes one snapshot under the seqlock, then the heartbeat with it. */
    private void write(MemStats stats) {
        long sequence = (long) SEQUENCE.getVolatile(file, CountersLayout.SEQUENCE_OFFSET);
        SEQUENCE.setOpaque(file, CountersLayout.SEQUENCE_OFFSET, sequence + 1);
        VarHandle.releaseFence(); // the odd word before any figure
        figure(0, stats.sys());
        figure(1, stats.inuse());
        figure(2, stats.cached());
        figure(3, stats.central());
        figure(4, stats.released());
        figure(5, stats.mallocs());
        figure(6, stats.frees());
        figure(7, stats.threadCaches());
        figure(8, stats.stackSys());
        figure(9, stats.stackInuse());
        figure(10, stats.deferSys());
        figure(11, stats.deferInuse());
        int classes = (int) Math.min(stats.classCount(), classCapacity);
        file.set(WORD, CountersLayout.CLASS_COUNT_OFFSET, classes);
        for (int c = 0; c < classes; c++) {
            long row = CountersLayout.CLASSES_OFFSET + c * CountersLayout.ROW_BYTES;
            file.set(WORD, row, stats.classSize(c));
            file.set(WORD, row + 8, stats.classMallocs(c));
            file.set(WORD, row + 16, stats.classFrees(c));
            file.set(WORD, row + 24, stats.classRefills(c));
            file.set(WORD, row + 32, stats.classSpills(c));
            file.set(WORD, row + 40, stats.classRingCapacity(c));
            file.set(WORD, row + 48, stats.classBatch(c));
            file.set(WORD, row + 56, stats.classChunkBytes(c));
        }
        file.set(WORD, CountersLayout.HEARTBEAT_OFFSET, System.currentTimeMillis());
        file.set(WORD, CountersLayout.PUBLICATIONS_OFFSET, file.get(WORD, CountersLayout.PUBLICATIONS_OFFSET) + 1);
        SEQUENCE.setRelease(file, CountersLayout.SEQUENCE_OFFSET, sequence + 2); // every figure before the even word
    }

    private void figure(int index, long value) {
        file.set(WORD, CountersLayout.FIGURES_OFFSET + 8L * index, value);
    }

    private void loop() {
        long next = System.nanoTime() + periodNanos;
        try {
            while (!closing) {
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(this, wait);
                    continue; // woken early (close, or spuriously): look again
                }
                source.readMemStats(scratch);
                write(scratch);
                next = Math.max(next + periodNanos, System.nanoTime());
            }
        } catch (RuntimeException | Error e) {
            failure = e;
            file.set(WORD, CountersLayout.STATE_OFFSET, CountersLayout.STATE_FAILED);
        }
    }

    /**
     * Stops the publisher thread, marks the file closed (a reader that has it mapped sees so) and
     * removes it. Idempotent. Close it before the source: a publication of a closed source stops
     * the thread instead, as {@link #failure()} then says.
     *
     * @throws CountersFileException if the file cannot be removed (it is marked closed all the same)
     */
    @Override
    public synchronized void close() throws CountersFileException {
        if (closed) {
            return;
        }
        closed = true;
        closing = true;
        LockSupport.unpark(thread);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            throw new CountersFileException(path + ": the publisher thread did not stop within 30 s (a source's"
                    + " readMemStats is blocked); the file stays");
        }
        file.set(WORD, CountersLayout.STATE_OFFSET, CountersLayout.STATE_CLOSED);
        arena.close();
        try {
            Files.deleteIfExists(path);
        } catch (java.io.IOException e) {
            throw new CountersFileException(path + ": cannot remove the counters file: " + e, e);
        }
    }
}
