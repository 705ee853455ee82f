package io.segpool.allocator;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link MemoryMapper} for tests that passes every call to the OS and records what the
 * allocator asked for: the reservation, the bytes committed, and the bytes mapped or reserved
 * that are not unmapped yet. It lets a test see what no {@code MemStats} figure shows: how much
 * address space and commit charge the allocator takes, and whether {@code close()} gives every
 * byte of it back.
 */
final class RecordingMapper implements MemoryMapper {

    /** One {@code reserve} call: the address returned and the length asked for. */
    record Range(long address, long length) {
    }

    private final List<Range> reserved = new ArrayList<>();
    private final List<Range> unmapped = new ArrayList<>();
    private final List<Range> released = new ArrayList<>();
    /** Bytes mapped or reserved and not unmapped since. */
    private final AtomicLong outstanding = new AtomicLong();
    private final AtomicLong committed = new AtomicLong();

    /** The reservations made, in order. */
    synchronized List<Range> reserved() {
        return List.copyOf(reserved);
    }

    /** The unmaps made, in order. */
    synchronized List<Range> unmapped() {
        return List.copyOf(unmapped);
    }

    /** Bytes mapped or reserved through this mapper that are not unmapped yet. */
    long outstanding() {
        return outstanding.get();
    }

    /** Bytes committed so far (every {@code commit} call's length, added up). */
    long committed() {
        return committed.get();
    }

    @Override
    public long map(long length) {
        long address = OsMemory.INSTANCE.map(length);
        outstanding.addAndGet(length);
        return address;
    }

    @Override
    public void unmap(long address, long length) {
        OsMemory.INSTANCE.unmap(address, length);
        outstanding.addAndGet(-length);
        synchronized (this) {
            unmapped.add(new Range(address, length));
        }
    }

    @Override
    public long reserve(long length) {
        long address = OsMemory.INSTANCE.reserve(length);
        outstanding.addAndGet(length);
        synchronized (this) {
            reserved.add(new Range(address, length));
        }
        return address;
    }

    @Override
    public void commit(long address, long length) {
        OsMemory.INSTANCE.commit(address, length);
        committed.addAndGet(length);
    }

    @Override
    public void release(long address, long length) {
        OsMemory.INSTANCE.release(address, length);
        synchronized (this) {
            released.add(new Range(address, length));
        }
    }

    /** The releases ({@code madvise}) made, in order. */
    synchronized List<Range> released() {
        return List.copyOf(released);
    }
}
