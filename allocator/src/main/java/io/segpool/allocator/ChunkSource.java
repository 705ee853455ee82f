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
 * aligned to {@link #CHUNK_ALIGNMENT} so that the {@link ChunkMap} finds it from any address in it.
 */
final class ChunkSource {

    /** Every mapping starts on, and is a multiple of, this many bytes: the {@link ChunkMap} granule. */
    static final long CHUNK_ALIGNMENT = 64 * 1024;
    private static final long OS_PAGE = 4096;

    private final NativeAllocator owner;
    private final MemoryMapper mapper;
    private final MemoryBudget budget;
    /** Bytes mapped for large blocks now; changed only where they are mapped or unmapped. */
    private final AtomicLong mapped = new AtomicLong();
    private final Set<Chunk> live = ConcurrentHashMap.newKeySet();
    /** Set by {@link #releaseAll()}; guarded by this. */
    private boolean closed;

    ChunkSource(NativeAllocator owner, MemoryMapper mapper, MemoryBudget budget) {
        this.owner = owner;
        this.mapper = mapper;
        this.budget = budget;
    }

    /**
     * Maps one large block of {@code length} bytes (a multiple of {@link #CHUNK_ALIGNMENT}) for a
     * request of {@code size} bytes, on an {@code alignment} boundary. When the
     * limit or the OS refuses, returns null with nothing changed, or throws the refusal if {@code lastTry}.
     */
    Chunk mapLarge(long length, long size, long alignment, boolean lastTry) {
        if (!budget.reserve(length)) {
            if (!lastTry) {
                return null;
            }
            throw Refusals.memoryLimit(-1, length, size, length, budget.limit, budget.resident());
        }
        // Map enough to find an aligned start inside, then give back the head and tail around it.
        long align = Math.max(alignment, CHUNK_ALIGNMENT);
        long span = length + align - OS_PAGE;
        long raw;
        try {
            raw = mapper.map(span);
        } catch (OutOfMemoryError refused) {
            budget.give(length);
            if (!lastTry) {
                return null;
            }
            throw Refusals.osRefused(-1, length, size, span, budget.sys(), refused);
        } catch (RuntimeException e) {
            budget.give(length);
            throw e;
        }
        long base = roundUp(raw, align);
        try {
            mapper.unmap(raw, base - raw);
            mapper.unmap(base + length, raw + span - (base + length));
        } catch (RuntimeException | Error e) {
            // The OS refused to trim the head or tail: give the whole mapping back (an unmap of a
            // range already unmapped succeeds), so nothing stays mapped or reserved.
            try {
                mapper.unmap(raw, span);
            } catch (RuntimeException | Error again) {
                e.addSuppressed(again);
            }
            budget.give(length);
            throw e;
        }
        Chunk chunk = new Chunk(owner, mapper, base, length, size);
        synchronized (this) {
            if (closed) {
                // close() ran while this mapping was made: give it back, leave nothing mapped.
                chunk.release();
                budget.give(length);
                throw Refusals.closed();
            }
            live.add(chunk);
        }
        mapped.addAndGet(length);
        long sysAfter = budget.mapped(length);
        ChunkMap.register(chunk);
        AllocatorEvents.mapped(owner.name(), length, length, sysAfter);
        return chunk;
    }

    /**
     * Gives a large block back to the OS: its segment turns invalid and it is unmapped, then it
     * leaves the map and the figures. If the arena cannot close (a downcall holds a segment of
     * it) or the unmap fails, the exception is thrown with the block still live, mapped and
     * counted; {@link Chunk#isAlive()} then says whether it can be handed out again (the arena
     * did not close) or only waits for its unmap to be tried again.
     */
    void release(Chunk chunk) {
        if (!live.remove(chunk)) {
            synchronized (this) {
                if (closed) {
                    throw Refusals.closed(); // a free that raced close(): close() gave the block back
                }
            }
            throw new IllegalStateException("bad chunk release: " + chunk + " is not live");
        }
        try {
            unmap(chunk);
        } catch (RuntimeException | Error e) {
            live.add(chunk);
            throw e;
        }
    }

    /**
     * Gives every large block back; for {@link NativeAllocator#close()}. No mapping is added after
     * the first call. A block that cannot be given back (a downcall holds it) stays live and
     * counted, the others are still given back, and the first failure is thrown: a later call
     * tries the rest again.
     */
    void releaseAll() {
        List<Chunk> all;
        synchronized (this) {
            closed = true;
            all = new ArrayList<>(live);
        }
        RuntimeException failure = null;
        for (Chunk chunk : all) {
            if (!live.remove(chunk)) {
                continue; // a racing free took it first
            }
            try {
                unmap(chunk);
            } catch (RuntimeException e) {
                live.add(chunk);
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

    private void unmap(Chunk chunk) {
        chunk.release();
        ChunkMap.unregister(chunk);
        budget.give(chunk.length);
        mapped.addAndGet(-chunk.length);
        long sysAfter = budget.mapped(-chunk.length);
        AllocatorEvents.unmapped(owner.name(), chunk.length, chunk.length, sysAfter);
    }

    /** Bytes mapped for large blocks. */
    long mapped() {
        return mapped.get();
    }

    static long roundUp(long value, long alignment) {
        return (value + alignment - 1) & -alignment;
    }
}
