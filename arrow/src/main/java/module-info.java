/**
 * An Apache Arrow {@code AllocationManager} backed by a segpool {@code NativeAllocator}: Arrow's
 * buffers become segpool blocks, and Arrow's {@code RootAllocator.close()} can give their memory
 * back to the OS. Arrow's and the allocator's types are in its signatures, hence
 * {@code requires transitive}. Arrow's {@code BaseAllocator} also resolves a default manager of
 * its own when it is first loaded, so {@code arrow-memory-unsafe} must be on the path at run time
 * (it is a runtime dependency of this artifact); nothing here refers to it.
 *
 * <p>Run with {@code --enable-native-access=io.segpool.allocator} (segpool maps memory through
 * FFM downcalls) and, on Java 24 or newer, {@code --sun-misc-unsafe-memory-access=allow} (Arrow
 * reads and writes its buffers through {@code sun.misc.Unsafe}, which otherwise warns); Arrow's
 * IPC also needs {@code --add-opens=java.base/java.nio=org.apache.arrow.memory.core,ALL-UNNAMED}.
 */
module io.segpool.arrow {
    requires transitive io.segpool.allocator;
    requires transitive org.apache.arrow.memory.core;

    exports io.segpool.arrow;
}
