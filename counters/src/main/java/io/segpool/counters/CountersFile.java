package io.segpool.counters;

import io.segpool.stats.MemStats;
import io.segpool.stats.MemStatsSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Publishes a {@link MemStatsSource}'s figures into a counters file that another process reads
 * live ({@code ./segpool stat}, or {@link CountersReader}), the way Aeron's media driver keeps its
 * counters in a memory-mapped file for {@code AeronStat}. A publisher thread reads the source every
 * period (1 s by default) and writes the figures under a sequence word, so a reader never sees half
 * an update; the allocator's hot paths do nothing for it.
 *
 * <pre>{@code
 * SegpoolJmx stats = new SegpoolJmx(allocator, stacks, defers);   // the snapshot JMX publishes
 * try (CountersPublisher counters = CountersFile.publish(stats)) {
 *     System.out.println("./segpool stat " + counters.path());
 *     ...
 * }
 * }</pre>
 *
 * <p>Pass the same source JMX and Micrometer read (an {@code io.segpool.allocator.jmx.SegpoolJmx}
 * over the allocator and its pools): the file's figures are then that one snapshot's, filled by the
 * same code. The file is created owner-only ({@code 0600}); a symbolic link, a file of another user,
 * a file that is not a counters file, or the live file of a running publisher at the path is
 * refused, never overwritten. {@code close()} removes the file; a process that dies leaves it
 * behind with a heartbeat that stops, which readers report as stale.
 */
public final class CountersFile {

    /** The period of {@link #publish(MemStatsSource)}: one publication a second. */
    public static final Duration DEFAULT_PERIOD = Duration.ofSeconds(1);
    /** The shortest period a publisher takes: a counters file is for people and scrapers, not a hot path. */
    public static final Duration MIN_PERIOD = Duration.ofMillis(1);

    private CountersFile() {
    }

    /**
     * The file {@link #publish(MemStatsSource)} writes for a source of this name in process
     * {@code pid}: {@code segpool-<pid>-<name>.counters} under {@code java.io.tmpdir}, the name's
     * characters other than letters, digits, {@code .}, {@code _} and {@code -} replaced by {@code _}.
     *
     * @param pid the publishing process
     * @param name the source's {@link MemStatsSource#name()}
     * @return the path
     * @throws NullPointerException if {@code name} is null
     */
    public static Path defaultPath(long pid, String name) {
        String safe = Objects.requireNonNull(name, "name").replaceAll("[^A-Za-z0-9._-]", "_");
        return Path.of(System.getProperty("java.io.tmpdir"), "segpool-" + pid + "-" + safe + ".counters");
    }

    /**
     * Publishes {@code source} at {@link #defaultPath(long, String)} of this process, every
     * {@link #DEFAULT_PERIOD}.
     *
     * @param source what to publish: an allocator, or a {@code SegpoolJmx} over it and its pools
     * @return the running publisher; close it to stop and remove the file
     * @throws CountersFileException if the file cannot be created, or the path is refused
     * @throws IllegalStateException if the source is closed
     * @throws NullPointerException if {@code source} is null
     */
    public static CountersPublisher publish(MemStatsSource source) throws CountersFileException {
        return publish(defaultPath(ProcessHandle.current().pid(), source.name()), source, DEFAULT_PERIOD);
    }

    /**
     * Publishes {@code source} at {@code path}, every {@code period}.
     *
     * @param path the file to create: its directory must exist, and nothing but a stale counters
     *             file of this user may be there
     * @param source what to publish: an allocator, or a {@code SegpoolJmx} over it and its pools
     * @param period how often to publish, at least {@link #MIN_PERIOD}
     * @return the running publisher; close it to stop and remove the file
     * @throws CountersFileException if the file cannot be created, or the path is refused
     * @throws IllegalArgumentException if the period is shorter than {@link #MIN_PERIOD}
     * @throws IllegalStateException if the source is closed
     * @throws NullPointerException if an argument is null
     */
    public static CountersPublisher publish(Path path, MemStatsSource source, Duration period)
            throws CountersFileException {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(source, "source");
        if (period.compareTo(MIN_PERIOD) < 0) {
            throw new IllegalArgumentException("period " + period + " is shorter than " + MIN_PERIOD);
        }
        MemStats first = new MemStats();
        source.readMemStats(first);
        return CountersPublisher.start(path, source, period, first);
    }
}
