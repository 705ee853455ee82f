package io.segpool.allocator;

import java.util.Arrays;
import java.util.List;

/**
 * The kinds of wrong call {@link AllocatorModelTest} makes, each with the exception the README's
 * table of errors says it must be refused with. A wrong call must throw that type and leave
 * MemStats exactly as they were; the test asserts that every kind was tried, and refused, at
 * least {@link AllocatorModelTest#MIN_PER_KIND} times in every seed.
 */
enum SequenceKind {
    DOUBLE_FREE("a class block freed twice", IllegalStateException.class),
    /** An unmapped span's address is no block's any more ("not from here"); a cached span's is a double free. */
    DOUBLE_FREE_LARGE("a large block freed twice", IllegalStateException.class, IllegalArgumentException.class),
    FREE_RELEASED("a free of a block whose chunk trim() gave back to the OS", IllegalStateException.class),
    FREE_INTERIOR("freeAddress/free of a live class block's interior, at a 16-byte step", IllegalArgumentException.class),
    FREE_UNALIGNED("freeAddress of a live block's address plus 1 to 15", IllegalArgumentException.class),
    FREE_INTERIOR_LARGE("freeAddress/free of a live large block's interior", IllegalArgumentException.class),
    FREE_INTERIOR_OF_FREE("freeAddress of a free class block's interior", IllegalArgumentException.class),
    FREE_NEIGHBOUR_LIVE("freeAddress of the live neighbouring block with this block's (other) size",
            IllegalArgumentException.class),
    FREE_NEIGHBOUR_FREE("freeAddress of the free neighbouring block", IllegalStateException.class),
    FREE_SMALLER_SIZE("freeAddress/free of a live block with a smaller size", IllegalArgumentException.class),
    FREE_LARGER_SIZE("freeAddress/free of a live block with a larger size (same class or not)",
            IllegalArgumentException.class),
    FREE_SLICE("free of a slice of a live block's segment", IllegalArgumentException.class),
    FREE_FORGED("free of MemorySegment.ofAddress over a live block", IllegalArgumentException.class),
    FREE_NO_CHUNK("freeAddress/free of an address in no chunk: above the heap's top, in the block-state tables,"
            + " low, high, negative", IllegalArgumentException.class),
    FREE_ARENA_SEGMENT("free of a live Arena's segment", IllegalArgumentException.class),
    FREE_CLOSED_ARENA_SEGMENT("free of a closed Arena's segment (README: IllegalArgumentException)",
            IllegalArgumentException.class),
    FREE_HEAP_SEGMENT("free of a heap (array) segment", IllegalArgumentException.class),
    FREE_OTHER_ALLOCATOR("free/freeAddress of another allocator's class or large block", IllegalArgumentException.class),
    BAD_SIZE("allocate/allocateAddress of a negative size or one above MAX_BLOCK", IllegalArgumentException.class),
    BAD_ALIGNMENT("allocate with an alignment that is not a power of two up to 1 GiB", IllegalArgumentException.class),
    VIEW_PAST_BLOCK("segment() reaching past the end of a live block", IllegalArgumentException.class),
    VIEW_OF_FREE_BLOCK("segment() of a free block (README: no block holds that address)",
            IllegalArgumentException.class),
    VIEW_RELEASED("segment() of a block whose chunk trim() released", IllegalArgumentException.class),
    VIEW_NO_CHUNK("segment() of an address in no chunk", IllegalArgumentException.class),
    VIEW_NEGATIVE_SIZE("segment() with a negative size", IllegalArgumentException.class),
    CACHE_OTHER_THREAD("a held ThreadCache used by a thread it does not belong to", WrongThreadException.class),
    BORROW_AFTER_CLOSE("a borrowed cache used after its close()", IllegalStateException.class),
    THREAD_CACHE_ON_VIRTUAL("threadCache() on a virtual thread", IllegalStateException.class);

    final String description;
    final List<Class<? extends Throwable>> expected;

    @SafeVarargs
    SequenceKind(String description, Class<? extends Throwable>... expected) {
        this.description = description;
        this.expected = Arrays.asList(expected);
    }

    /**
     * Whether {@code thrown} is the refusal this kind must get: IllegalArgumentException and
     * IllegalStateException are told apart (neither may stand for the other).
     */
    boolean accepts(Throwable thrown) {
        return expected.stream().anyMatch(type -> type.isInstance(thrown));
    }
}
