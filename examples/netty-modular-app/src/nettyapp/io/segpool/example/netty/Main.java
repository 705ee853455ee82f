package io.segpool.example.netty;

import io.netty.buffer.ByteBuf;
import io.segpool.netty.SegpoolByteBufAllocator;
import io.segpool.stats.MemStats;

/**
 * Allocates, grows and releases Netty buffers from segpool's allocator as a named module, then
 * checks segpool's figures; prints "netty modular app OK" only if every check held.
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        MemStats stats = new MemStats();
        try (SegpoolByteBufAllocator alloc = SegpoolByteBufAllocator.create()) {
            ByteBuf[] bufs = new ByteBuf[100];
            for (int i = 0; i < bufs.length; i++) {
                bufs[i] = alloc.directBuffer(64).writeInt(i).writeZero(500);
            }
            for (int i = 0; i < bufs.length; i++) {
                if (bufs[i].getInt(0) != i || !bufs[i].release()) {
                    throw new AssertionError("buffer " + i + " lost its bytes or was not freed");
                }
            }
            alloc.readMemStats(stats);
            if (stats.inuse() != 0 || stats.mallocs() != stats.frees()) {
                throw new AssertionError("blocks still in use: " + stats);
            }
            System.out.println("allocator: " + alloc.name() + ", " + stats.mallocs() + " blocks allocated and freed");
        }
        System.out.println("netty modular app OK");
    }
}
