package io.segpool.allocator;

import java.lang.foreign.Arena;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link MemoryMapper} for fault injection: the real OS and JDK, except that the n-th call of
 * one edge fails the way the real one fails (mmap, mprotect and the reservation with
 * {@link OutOfMemoryError} and nothing mapped; munmap and madvise with {@link IllegalStateException};
 * {@code Arena.close()} with the JDK's "session is acquired" {@link IllegalStateException} and the
 * arena still open; a leak record with {@link OutOfMemoryError}).
 *
 * <p>It also keeps a ledger of every byte mapped through it, so that a test can check that a
 * successful {@code close()} left nothing mapped, whatever failed before.
 */
final class FaultyEdges implements MemoryMapper {

    /** The edges a call can fail at. */
    enum Edge { MAP, UNMAP, RESERVE, COMMIT, RELEASE, CLOSE_ARENA, LEAK_RECORD }

    private final Map<Edge, AtomicLong> calls = new EnumMap<>(Edge.class);
    private volatile Edge failing;
    /** The call number (of {@link #failing}, counted from 1 since {@link #failNth}) that fails; 0 for every call. */
    private volatile long failAt;
    private final AtomicLong failures = new AtomicLong();
    /** Mapped ranges, start to end, as this mapper saw them; guarded by this. */
    private final TreeMap<Long, Long> mapped = new TreeMap<>();

    FaultyEdges() {
        for (Edge edge : Edge.values()) {
            calls.put(edge, new AtomicLong());
        }
    }

    /** The {@code n}-th call of {@code edge} from now on fails (n >= 1), the others succeed. */
    FaultyEdges failNth(Edge edge, long n) {
        calls.get(edge).set(0);
        failAt = n;
        failing = edge;
        return this;
    }

    /** Every call of {@code edge} fails until {@link #heal()}. */
    FaultyEdges failAll(Edge edge) {
        failAt = 0;
        failing = edge;
        return this;
    }

    /** No call fails any more. */
    void heal() {
        failing = null;
    }

    /** Calls of {@code edge} since the last {@link #failNth} of it (or since creation). */
    long calls(Edge edge) {
        return calls.get(edge).get();
    }

    /** Calls failed so far. */
    long failures() {
        return failures.get();
    }

    /** Bytes mapped through this mapper and not unmapped. */
    synchronized long mappedBytes() {
        long sum = 0;
        for (Map.Entry<Long, Long> range : mapped.entrySet()) {
            sum += range.getValue() - range.getKey();
        }
        return sum;
    }

    private boolean fails(Edge edge) {
        long n = calls.get(edge).incrementAndGet();
        if (failing == edge && (failAt == 0 || n == failAt)) {
            failures.incrementAndGet();
            return true;
        }
        return false;
    }

    @Override
    public long map(long length) {
        if (fails(Edge.MAP)) {
            throw new OutOfMemoryError("mmap of " + length + " bytes failed with errno 12 (injected)");
        }
        long address = OsMemory.INSTANCE.map(length);
        added(address, length);
        return address;
    }

    @Override
    public long reserve(long length) {
        if (fails(Edge.RESERVE)) {
            throw new OutOfMemoryError("mmap of " + length + " bytes failed with errno 12 (injected)");
        }
        long address = OsMemory.INSTANCE.reserve(length);
        added(address, length);
        return address;
    }

    @Override
    public void unmap(long address, long length) {
        if (fails(Edge.UNMAP)) {
            throw new IllegalStateException("munmap(0x" + Long.toHexString(address) + ", " + length
                    + ") failed with errno 22 (injected)");
        }
        OsMemory.INSTANCE.unmap(address, length);
        removed(address, length);
    }

    @Override
    public void commit(long address, long length) {
        if (fails(Edge.COMMIT)) {
            throw new OutOfMemoryError("mprotect of " + length + " bytes failed with errno 12 (injected)");
        }
        OsMemory.INSTANCE.commit(address, length);
    }

    @Override
    public void release(long address, long length) {
        if (fails(Edge.RELEASE)) {
            throw new IllegalStateException("madvise(0x" + Long.toHexString(address) + ", " + length
                    + ", MADV_DONTNEED) failed with errno 11 (injected)");
        }
        OsMemory.INSTANCE.release(address, length);
    }

    @Override
    public void closeArena(Arena arena) {
        if (fails(Edge.CLOSE_ARENA)) {
            throw new IllegalStateException("Session is acquired by 1 clients (injected)");
        }
        arena.close();
    }

    @Override
    public void beforeLeakRecord() {
        if (fails(Edge.LEAK_RECORD)) {
            throw new OutOfMemoryError("Java heap space (injected)");
        }
    }

    private synchronized void added(long address, long length) {
        if (length > 0) {
            mapped.put(address, address + length);
        }
    }

    /** Takes {@code [address, address + length)} out of the ledger, splitting ranges it cuts. */
    private synchronized void removed(long address, long length) {
        long end = address + length;
        java.util.List<Long> starts = new java.util.ArrayList<>();
        Map.Entry<Long, Long> before = mapped.floorEntry(address);
        if (before != null && before.getKey() < address && before.getValue() > address) {
            starts.add(before.getKey());
        }
        starts.addAll(mapped.subMap(address, true, end, false).keySet());
        for (long from : starts) {
            long to = mapped.remove(from);
            if (from < address) {
                mapped.put(from, address);
            }
            if (to > end) {
                mapped.put(end, to);
            }
        }
    }
}
