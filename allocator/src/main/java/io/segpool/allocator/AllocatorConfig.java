package io.segpool.allocator;

/**
 * How a {@link NativeAllocator} is built. One validated record; start from {@link #defaults()}.
 *
 * @param checkFrees refuse wrong frees (double free, a slice, a resized view, a forged segment)
 *                   before they change any state. On by default; off saves one per-block state
 *                   write on allocate and one read and write on free (the JMH benchmark
 *                   {@code AllocatorBenchmark} measures the difference). A segment from another
 *                   allocator or no allocator is refused either way.
 */
public record AllocatorConfig(boolean checkFrees) {

    /** Free checks on. */
    public static AllocatorConfig defaults() {
        return new AllocatorConfig(true);
    }

    public AllocatorConfig withCheckFrees(boolean value) {
        return new AllocatorConfig(value);
    }
}
