package io.segpool.allocator;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The large blocks: each a mapping of its own from {@code mmap}, tied to a shared {@code Arena}
 * with {@code reinterpret}, so that closing that arena both invalidates the block's segment and
 * runs the {@code munmap}: a stale segment throws instead of crashing the JVM. The mapping is
 * aligned to {@link SizeClasses#CHUNK_ALIGNMENT} so that the {@link SpanMap} finds it from any address in it.
 */
final class SpanSource {

    private static final long OS_PAGE = 4096;

    private final Heap owner;
    /** The allocator's name, for events. */
    private final String name;
    private final MemoryMapper mapper;
    private final MemoryBudget budget;
    /** Bytes mapped for large blocks now; changed only where they are mapped or unmapped. */
    private final AtomicLong mapped = new AtomicLong();
    private final Set<Span> live = ConcurrentHashMap.newKeySet();
    /** Set by {@link #releaseAll()}; guarded by this. */
    private boolean closed;

    SpanSource(Heap owner, MemoryMapper mapper, MemoryBudget budget) {
        this.owner = owner;
        this.name = budget.allocator;
        this.mapper = mapper;
        this.budget = budget;
    }

    /**
     * Maps one large block of {@code length} bytes (a multiple of {@link SizeClasses#CHUNK_ALIGNMENT}) for a
     * request of {@code size} bytes, on an {@code alignment} boundary. When the
     * limit or the OS refuses, returns null with nothing changed, or throws the refusal if {@code lastTry}.
     */
    Span mapLarge(long length, long size, long alignment, boolean lastTry) {
        if (!budget.reserve(length)) {
            if (!lastTry) {
                return null;
            }
            throw Refusals.memoryLimit(-1, length, size, length, budget.limit, budget.resident());
        }
        // Map enough to find an aligned start inside, then give back the head and tail around it.
        long align = Math.max(alignment, SizeClasses.CHUNK_ALIGNMENT);
        long reach = length + align - OS_PAGE;
        long raw;
        try {
            raw = mapper.map(reach);
        } catch (OutOfMemoryError refused) {
            budget.give(length);
            if (!lastTry) {
                return null;
            }
            throw Refusals.osRefused(-1, length, size, reach, budget.sys(), refused);
        } catch (RuntimeException e) {
            budget.give(length);
            throw e;
        }
        long base = SizeClasses.roundUp(raw, align);
        try {
            mapper.unmap(raw, base - raw);
            mapper.unmap(base + length, raw + reach - (base + length));
        } catch (RuntimeException | Error e) {
            // The OS refused to trim the head or tail: give the whole mapping back (an unmap of a
            // range already unmapped succeeds), so nothing stays mapped or reserved.
            try {
                mapper.unmap(raw, reach);
            } catch (RuntimeException | Error again) {
                e.addSuppressed(again);
            }
            budget.give(length);
            throw e;
        }
        Span span = new Span(owner, mapper, base, length, size);
        synchronized (this) {
            if (closed) {
                // close() ran while this mapping was made: give it back, leave nothing mapped.
                span.release();
                budget.give(length);
                throw Refusals.closed();
            }
            live.add(span);
        }
        mapped.addAndGet(length);
        long sysAfter = budget.mapped(length);
        SpanMap.register(span);
        AllocatorEvents.spanMapped(name, length, sysAfter);
        return span;
    }

    /**
     * Gives a large block back to the OS: its segment turns invalid and it is unmapped, then it
     * leaves the map and the figures. If the arena cannot close (a downcall holds a segment of
     * it) or the unmap fails, the exception is thrown with the block still live, mapped and
     * counted; {@link Span#isAlive()} then says whether it can be handed out again (the arena
     * did not close) or only waits for its unmap to be tried again.
     */
    void release(Span span) {
        if (!live.remove(span)) {
            synchronized (this) {
                if (closed) {
                    throw Refusals.closed(); // a free that raced close(): close() gave the block back
                }
            }
            throw new IllegalStateException("bad span release: " + span + " is not live");
        }
        try {
            unmap(span);
        } catch (RuntimeException | Error e) {
            live.add(span);
            throw e;
        }
    }

    /**
     * Gives every large block back; for the allocator's close(). No mapping is added after
     * the first call. A block that cannot be given back (a downcall holds it) stays live and
     * counted, the others are still given back, and the first failure is thrown: a later call
     * tries the rest again.
     */
    void releaseAll() {
        List<Span> all;
        synchronized (this) {
            closed = true;
            all = new ArrayList<>(live);
        }
        RuntimeException failure = null;
        for (Span span : all) {
            if (!live.remove(span)) {
                continue; // a racing free took it first
            }
            try {
                unmap(span);
            } catch (RuntimeException e) {
                live.add(span);
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Large blocks still mapped; for close(), which must leave none. */
    int liveCount() {
        return live.size();
    }

    private void unmap(Span span) {
        span.release();
        SpanMap.unregister(span);
        budget.give(span.length);
        mapped.addAndGet(-span.length);
        long sysAfter = budget.mapped(-span.length);
        AllocatorEvents.spanUnmapped(name, span.length, sysAfter);
    }

    /** Bytes mapped for large blocks. */
    long mapped() {
        return mapped.get();
    }

}
