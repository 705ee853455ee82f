package io.segpool.allocator;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongPredicate;

/**
 * A {@link MemoryMapper} for tests: the real OS memory, except that a mapping is refused, the way
 * {@code mmap} refuses (an {@link OutOfMemoryError} with errno 12, nothing mapped), whenever
 * {@link #refuseWhen} says so; committing part of the reservation likewise. Unmapping, reserving
 * and releasing always go to the OS.
 */
final class FailingMapper implements MemoryMapper {

    private static final LongPredicate NEVER = length -> false;

    /** Decides, from the length asked for, whether this mapping fails. Set by the test thread. */
    private volatile LongPredicate refuse = NEVER;
    private final AtomicInteger refused = new AtomicInteger();
    private final AtomicInteger releases = new AtomicInteger();

    /** Every mapping fails while {@code on}; the real OS serves them otherwise. */
    void failing(boolean on) {
        refuseWhen(on ? length -> true : NEVER);
    }

    void refuseWhen(LongPredicate policy) {
        refuse = policy;
    }

    /** Mappings refused so far. */
    int refused() {
        return refused.get();
    }

    @Override
    public long map(long length) {
        if (refuse.test(length)) {
            refused.incrementAndGet();
            throw new OutOfMemoryError("mmap of " + length + " bytes failed with errno 12 (ENOMEM, injected by a test)");
        }
        return OsMemory.INSTANCE.map(length);
    }

    @Override
    public void unmap(long address, long length) {
        OsMemory.INSTANCE.unmap(address, length);
    }

    @Override
    public long reserve(long length) {
        return OsMemory.INSTANCE.reserve(length);
    }

    /** Committing a chunk of the reservation is refused as a mapping is. */
    @Override
    public void commit(long address, long length) {
        if (refuse.test(length)) {
            refused.incrementAndGet();
            throw new OutOfMemoryError("mprotect of " + length + " bytes failed with errno 12 (ENOMEM, injected by a test)");
        }
        OsMemory.INSTANCE.commit(address, length);
    }

    /** Ranges given back to the OS so far (chunks and their state-table pages): only ever grows. */
    int releases() {
        return releases.get();
    }

    @Override
    public void release(long address, long length) {
        releases.incrementAndGet();
        OsMemory.INSTANCE.release(address, length);
    }
}
