package io.segpool.integration;

import net.openhft.chronicle.bytes.Bytes;

/**
 * An order as the trading pipeline carries it, written and read through Chronicle {@link Bytes}:
 *
 * <pre>
 *  0 sequence   long   the producer's publish order: the consumer checks it is contiguous
 *  8 id         long
 * 16 price      long   fixed point, 1e-8
 * 24 quantity   long
 * 32 instrument int
 * 36 side       byte   'B' or 'S'
 * 37 padding    to the block's size (64..256 bytes), a pattern derived from the sequence
 * -8 checksum   long   over every byte before it
 * </pre>
 */
final class OrderCodec {

    static final int MIN_SIZE = 64;
    static final int MAX_SIZE = 256;
    private static final int FIELDS = 37;

    private OrderCodec() {
    }

    static void encode(Bytes<?> bytes, long size, long sequence, long id, long price, long quantity, int instrument,
                       byte side) {
        bytes.writeLong(sequence).writeLong(id).writeLong(price).writeLong(quantity).writeInt(instrument)
                .writeByte(side);
        for (long i = FIELDS; i < size - Long.BYTES; i++) {
            bytes.writeByte((byte) (sequence + i));
        }
        bytes.writeLong(checksum(bytes, size));
    }

    /** Sum of the fields and padding, mixed; computed over what was written, before the checksum word. */
    static long checksum(Bytes<?> bytes, long size) {
        long sum = 0x9E37_79B9_7F4A_7C15L;
        long end = size - Long.BYTES;
        long offset = 0;
        for (; offset + Long.BYTES <= end; offset += Long.BYTES) {
            sum = (sum ^ bytes.readLong(offset)) * 0x100_0000_01B3L;
        }
        for (; offset < end; offset++) {
            sum = (sum ^ bytes.readByte(offset)) * 0x100_0000_01B3L;
        }
        return sum;
    }

    /** True when the block's checksum word matches its contents. */
    static boolean intact(Bytes<?> bytes, long size) {
        return bytes.readLong(size - Long.BYTES) == checksum(bytes, size);
    }

    static long sequence(Bytes<?> bytes) {
        return bytes.readLong(0);
    }
}
