package io.segpool.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.internal.PlatformDependent;

/**
 * The body of {@link UnsafeModeTest}, run in a JVM of its own with Netty's {@code sun.misc.Unsafe}
 * paths on, where Netty copies raw memory at {@code memoryAddress()} and no segment check stands
 * between a buffer and unmapped memory. Mode {@code guarded}: close is refused under a live
 * buffer that Netty then copies through Unsafe, and succeeds once it is released. Mode
 * {@code control}: a raw read after a successful close, which must crash the JVM; it shows that
 * the test would see a crash if the guard were missing.
 */
public final class UnsafeModeProbe {

    private UnsafeModeProbe() {
    }

    public static void main(String[] args) {
        System.out.println("unsafe=" + PlatformDependent.hasUnsafe());
        SegpoolByteBufAllocator alloc = SegpoolByteBufAllocator.create();
        ByteBuf buf = alloc.directBuffer(8192);
        for (int i = 0; i < 8192; i++) {
            buf.writeByte(i * 31);
        }
        if (args[0].equals("control")) {
            long address = buf.memoryAddress();
            buf.release();
            alloc.close();
            System.out.println("closed; reading " + Long.toHexString(address) + " raw");
            System.out.flush();
            System.out.println("read " + PlatformDependent.getByte(address));
            return;
        }
        try {
            alloc.close();
            throw new AssertionError("close succeeded under a live buffer");
        } catch (IllegalStateException expected) {
            System.out.println("close refused: " + expected.getMessage());
        }
        ByteBuf heap = Unpooled.buffer(8192).writeBytes(buf, 0, 8192);
        ByteBuf direct = Unpooled.directBuffer(8192).writeBytes(buf, 0, 8192);
        for (int i = 0; i < 8192; i++) {
            if (heap.getByte(i) != (byte) (i * 31) || direct.getByte(i) != (byte) (i * 31)) {
                throw new AssertionError("byte " + i + " differs after Netty's Unsafe copy");
            }
        }
        buf.setBytes(0, direct, 0, 8192);
        heap.release();
        direct.release();
        buf.release();
        alloc.close();
        System.out.println("OK");
    }
}
