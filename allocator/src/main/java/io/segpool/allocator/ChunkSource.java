package io.segpool.allocator;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The only code that asks the OS for memory and gives it back, and the keeper of {@code Sys}.
 *
 * <p>Chunks are mapped with {@code mmap} through the FFM {@code Linker}, not taken from
 * {@code Arena.allocate}: an arena allocation goes through {@code malloc} and zeroes every byte,
 * which commits every page of a chunk at once, and its {@code free} need not return the memory to
 * the OS, so {@code Sys} would not mean what the OS sees. An anonymous mapping is zero-filled and
 * committed page by page on first touch, {@code munmap} really returns it, and its address can be
 * aligned for the {@link ChunkMap}. Each mapping is then tied to a shared {@code Arena} with
 * {@code reinterpret}, so closing that arena both invalidates every segment of the chunk and runs
 * the {@code munmap}: a stale segment throws instead of crashing the JVM.
 */
final class ChunkSource {

    /** Every chunk starts on, and is a multiple of, this many bytes: the {@link ChunkMap} granule. */
    static final long CHUNK_ALIGNMENT = 64 * 1024;

    private final NativeAllocator owner;
    private final MemoryMapper mapper;
    private final boolean tracked;
    private final boolean debug;
    /** {@link AllocatorConfig#memoryLimit()}: 0 for none. */
    private final long limit;
    /**
     * Bytes mapped now, plus bytes reserved by a mapping under way. A mapping adds its length
     * before it asks the OS (with a compare-and-set against the limit when there is one) and takes
     * it back if the OS refuses, so concurrent mappings never take {@code Sys} past the limit.
     * Changed only on the slow paths that map or unmap; read by stats.
     */
    private final AtomicLong sys = new AtomicLong();
    private final Set<Chunk> live = ConcurrentHashMap.newKeySet();

    ChunkSource(NativeAllocator owner, MemoryMapper mapper, AllocatorConfig config) {
        this.owner = owner;
        this.mapper = mapper;
        this.tracked = config.checkFrees();
        this.debug = config.debug();
        this.limit = config.memoryLimit();
    }

    /**
     * Maps a fresh chunk for size class {@code sizeClass}. When the limit or the OS refuses, returns
     * null with nothing changed, or throws the refusal if {@code lastTry}.
     */
    Chunk mapClassChunk(int sizeClass, boolean lastTry) {
        long blockSize = SizeClasses.size(sizeClass);
        long length = blockSize * SizeClasses.blocksPerChunk(sizeClass);
        return map(length, CHUNK_ALIGNMENT, sizeClass, blockSize, 0, lastTry);
    }

    /**
     * Maps a chunk that is one large block of at least {@code size} bytes on an {@code alignment}
     * boundary. Refusals as {@link #mapClassChunk}.
     */
    Chunk mapLarge(long size, long alignment, boolean lastTry) {
        long length = roundUp(Math.max(size, 1), CHUNK_ALIGNMENT);
        return map(length, Math.max(alignment, CHUNK_ALIGNMENT), Chunk.LARGE, length, size, lastTry);
    }

    private Chunk map(long length, long alignment, int sizeClass, long blockSize, long largeSize, boolean lastTry) {
        if (!reserve(length)) {
            if (!lastTry) {
                return null;
            }
            throw Refusals.memoryLimit(sizeClass, blockSize, largeSize, length, limit, sys.get());
        }
        // Map enough to find an aligned start inside, then give back the head and tail around it.
        long span = length + alignment - OS_PAGE;
        long raw;
        try {
            raw = mapper.map(span);
        } catch (OutOfMemoryError refused) {
            sys.addAndGet(-length);
            if (!lastTry) {
                return null;
            }
            throw Refusals.osRefused(sizeClass, blockSize, largeSize, span, sys.get(), refused);
        } catch (RuntimeException e) {
            sys.addAndGet(-length);
            throw e;
        }
        long base = roundUp(raw, alignment);
        mapper.unmap(raw, base - raw);
        mapper.unmap(base + length, raw + span - (base + length));
        Chunk chunk = new Chunk(owner, mapper, base, length, sizeClass, blockSize, largeSize, tracked, debug);
        long sysAfter = sys.get(); // reserved before mapping
        live.add(chunk);
        ChunkMap.register(chunk);
        AllocatorEvents.mapped(length, chunk.blockSize, sysAfter);
        return chunk;
    }

    /** Adds {@code length} to {@code Sys} if that keeps it within the limit; false, with nothing changed, if not. */
    private boolean reserve(long length) {
        if (limit == AllocatorConfig.UNLIMITED) {
            sys.addAndGet(length);
            return true;
        }
        long now;
        do {
            now = sys.get();
            if (length > limit - now) {
                return false;
            }
        } while (!sys.compareAndSet(now, now + length));
        return true;
    }

    /** Gives a chunk back to the OS: it leaves the map, its segments turn invalid, its memory is unmapped. */
    void release(Chunk chunk) {
        if (!live.remove(chunk)) {
            throw new IllegalStateException("bad chunk release: " + chunk + " is not live");
        }
        ChunkMap.unregister(chunk);
        chunk.release();
        long sysAfter = sys.addAndGet(-chunk.length);
        AllocatorEvents.unmapped(chunk.length, chunk.blockSize, sysAfter);
    }

    /** Gives every chunk back; for {@link NativeAllocator#close()}. */
    void releaseAll() {
        List<Chunk> all = new ArrayList<>(live);
        for (Chunk chunk : all) {
            release(chunk);
        }
    }

    long sys() {
        return sys.get();
    }

    private static final long OS_PAGE = 4096;

    static long roundUp(long value, long alignment) {
        return (value + alignment - 1) & -alignment;
    }
}
