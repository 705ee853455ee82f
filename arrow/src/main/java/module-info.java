/**
 * An Apache Arrow {@code AllocationManager} backed by a segpool {@code NativeAllocator}: Arrow's
 * buffers become segpool blocks, and Arrow's {@code RootAllocator.close()} can give their memory
 * back to the OS. Arrow's and the allocator's types are in its signatures, hence
 * {@code requires transitive}. Arrow's {@code BaseAllocator} also resolves a default manager of
 * its own when it is first loaded, and fails without one: this module requires Arrow's Unsafe
 * manager for that, so that it is resolved on the module path with no {@code --add-modules};
 * nothing here refers to it (and never to Arrow's Netty manager, which fails on Java 25).
 *
 * <p>Run with {@code --enable-native-access=io.segpool.allocator} (segpool maps memory through
 * FFM downcalls) and, on Java 24 or newer, {@code --sun-misc-unsafe-memory-access=allow} (Arrow
 * reads and writes its buffers through {@code sun.misc.Unsafe}, which otherwise warns); Arrow's
 * IPC also needs {@code --add-opens=java.base/java.nio=org.apache.arrow.memory.core,ALL-UNNAMED}.
 */
module io.segpool.arrow {
    requires transitive io.segpool.allocator;
    requires transitive org.apache.arrow.memory.core;
    requires org.apache.arrow.memory.unsafe;

    exports io.segpool.arrow;
}
