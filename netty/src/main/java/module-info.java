/**
 * A Netty {@code ByteBufAllocator} whose direct buffers are segpool blocks. Netty's buffer types
 * and segpool's configuration and statistics are in its signatures, hence {@code requires
 * transitive}. Run with {@code --enable-native-access=io.segpool.allocator,io.netty.common}.
 */
module io.segpool.netty {
    requires transitive io.netty.buffer;
    requires transitive io.netty.common;
    requires transitive io.segpool.allocator;

    exports io.segpool.netty;
}
