package io.segpool.allocator;

/**
 * What a room that meets a refusal (the memory limit or the OS refusing a mapping) or holds too
 * many free bytes may ask of the rest of the engine, and nothing more: the narrow view of the
 * {@link Trimmer} that {@link CentralStack}, {@link LargeBlocks} and the rings get, so that none of
 * them needs the allocator itself.
 */
interface MemoryPressure {

    /**
     * Gives back every free byte the engine can reach (ended threads' caches, wholly free chunks,
     * cached spans) before a refused request tries once more. Must be called with no central
     * stack's lock held: it takes each in turn.
     *
     * @return the bytes given back
     */
    long trimForMemory();

    /**
     * Holds {@link AllocatorConfig#cachedBytesLimit()} after class {@code sizeClass} took a batch
     * from a ring: past the limit, that class's wholly free chunks go back to the OS, then free
     * large spans, least recently freed first. Never throws: a refused release keeps its memory
     * cached and counted for the next spill, trim or background pass.
     *
     * @param sizeClass the class that just grew
     */
    void releaseOverLimit(int sizeClass);
}
