package io.segpool.allocator;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes an allocator may have resident, held against {@link AllocatorConfig#memoryLimit()}:
 * every class chunk in use (mapped and not released) plus every large block. A chunk or a large
 * block reserves its length here before it asks the OS (with a compare-and-set against the limit
 * when there is one) and gives it back if the OS refuses, so concurrent mappings never pass the
 * limit, even for a moment. Released chunks do not count: their pages went back to the OS, so
 * {@code resident == Sys - Released} at every quiescent point. Touched only on slow paths.
 */
final class MemoryBudget {

    /** {@link NativeAllocator#name()}, for the events of the slow paths that hold only this budget. */
    final String allocator;
    /** {@link AllocatorConfig#memoryLimit()}: 0 for none. */
    final long limit;
    private final AtomicLong resident = new AtomicLong();
    /** {@code Sys}: heap committed plus large blocks mapped; released chunks stay in it. */
    private final AtomicLong sys = new AtomicLong();

    MemoryBudget(String allocator, long limit) {
        this.allocator = allocator;
        this.limit = limit;
    }

    /** Adds {@code length} if that keeps the total within the limit; false, with nothing changed, if not. */
    boolean reserve(long length) {
        if (limit == AllocatorConfig.UNLIMITED) {
            resident.addAndGet(length);
            return true;
        }
        long now;
        do {
            now = resident.get();
            if (length > limit - now) {
                return false;
            }
        } while (!resident.compareAndSet(now, now + length));
        return true;
    }

    void give(long length) {
        resident.addAndGet(-length);
    }

    long resident() {
        return resident.get();
    }

    /** Records {@code delta} bytes mapped (or, negative, unmapped); returns {@code Sys} after. */
    long mapped(long delta) {
        return sys.addAndGet(delta);
    }

    long sys() {
        return sys.get();
    }
}
