package com.example.consumer;

import io.netty.buffer.ByteBuf;
import io.segpool.netty.SegpoolByteBufAllocator;

/**
 * What a Netty user of segpool writes: direct buffers from segpool's allocator, released as
 * usual, then the allocator's own figures. Exits 1 with a message if a figure is off.
 */
public final class NettyConsumerMain {

    private NettyConsumerMain() {
    }

    public static void main(String[] args) {
        try (SegpoolByteBufAllocator alloc = SegpoolByteBufAllocator.create()) {
            ByteBuf buf = alloc.directBuffer(256);
            buf.writeLong(42).writeBytes(new byte[1000]); // grows past its first block
            check(buf.getLong(0) == 42, "the long written did not survive growth");
            check(alloc.pinnedDirectMemory() > 0, "nothing pinned with a buffer live");
            check(buf.release(), "release did not free the buffer");
            check(alloc.pinnedDirectMemory() == 0, "pinned " + alloc.pinnedDirectMemory() + " after release");
            check(alloc.metric().usedDirectMemory() > 0, "no resident memory reported");
        }
        System.out.println("consumer: Netty buffers from segpool-netty through the published artifacts");
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.err.println("consumer: FAILED: " + what);
            System.exit(1);
        }
    }
}
