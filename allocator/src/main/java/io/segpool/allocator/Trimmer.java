package io.segpool.allocator;

/**
 * Gives free memory back across rooms: {@code trim()}, the retry of a refused refill or large
 * block ({@link #trimForMemory}), and the cached-bytes limit ({@link #releaseOverLimit}). It is the
 * one place that reaches every room that holds free bytes (the caches of ended threads, the
 * central stacks, the large-span cache); the rooms themselves only see it as a
 * {@link MemoryPressure}. The rooms are made after it (they take it in their constructors), so
 * {@link #bind} sets them once, before the allocator is published.
 */
final class Trimmer implements MemoryPressure {

    private final String name;
    private final CachedBytes cached;
    private CentralStack[] centrals;
    private LargeBlocks large;
    private CacheRegistry caches;

    Trimmer(String name, CachedBytes cached) {
        this.name = name;
        this.cached = cached;
    }

    /** Sets the rooms, once, while the allocator is being built. */
    void bind(CentralStack[] centrals, LargeBlocks large, CacheRegistry caches) {
        this.centrals = centrals;
        this.large = large;
        this.caches = caches;
    }

    @Override
    public long trimForMemory() {
        caches.reclaimEnded();
        caches.flushIdleStripes();
        long bytes = large.trim();
        for (CentralStack central : centrals) {
            bytes += central.trim();
        }
        AllocatorEvents.trim(name, bytes);
        return bytes;
    }

    @Override
    public void releaseOverLimit(int sizeClass) {
        if (!cached.over(large.cachedBytes())) {
            return;
        }
        try {
            centrals[sizeClass].trim();
            large.evictTo(cached.roomForLarge());
        } catch (RuntimeException e) {
            // Only a close() racing this can throw here (a refused release keeps its memory
            // free and counted, for the next spill, trim() or background release): the blocks
            // that crossed the limit are already on the central stack, and the free stands.
        }
    }
}
