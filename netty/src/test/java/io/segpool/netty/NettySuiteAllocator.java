package io.segpool.netty;

import io.netty.buffer.ByteBufAllocator;
import io.segpool.allocator.AllocatorConfig;

import java.util.List;

/**
 * The allocator each of Netty's socket test classes runs with, one per class so that the
 * {@code Inuse == 0} check after each test sees that class's buffers only. Frees are checked,
 * so a double free or a foreign block in Netty's paths fails loudly instead of corrupting.
 */
final class NettySuiteAllocator {

    private NettySuiteAllocator() {
    }

    static SegpoolByteBufAllocator create(String name) {
        return SegpoolByteBufAllocator.create(AllocatorConfig.defaults().withName(name).withCheckFrees(true));
    }

    /** What {@code newAllocators()} returns: segpool's allocator alone, on server, child and client. */
    static List<ByteBufAllocator> only(SegpoolByteBufAllocator allocator) {
        return List.of(allocator);
    }
}
