package io.segpool.allocator;

/**
 * How threads cache free blocks: an ablation switch, not part of the public API. Only
 * {@link #BOUNDED} is segpool; the other two are the "before" states the design replaced, kept as
 * switches on the same code so that benchmarks can measure what the rings buy. Tests in this
 * package set it with {@link AllocatorConfig#withThreadCaching}; the benchmark module reaches that
 * seam through a class of its own in this package, on its class path only.
 */
enum ThreadCaching {
    /** Byte-bounded rings trading batches with the central stacks. */
    BOUNDED,
    /** No thread cache: every allocate and free takes the class's central lock. */
    NONE,
    /** Rings that never give blocks back: a thread that only frees keeps them all. */
    UNBOUNDED
}
