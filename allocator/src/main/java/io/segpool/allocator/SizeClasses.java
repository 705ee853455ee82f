package io.segpool.allocator;

/**
 * The block sizes segpool serves from thread caches, and the O(1) lookup from a request size to
 * its class (the Go runtime's {@code size_to_class8} / {@code size_to_class128} tables).
 *
 * <p>Classes are every 16 bytes from 16 to 128 (16 is the alignment every block keeps), then eight
 * classes per doubling up to 1 MiB: 144, 160, ... 256, 288, ... 512, ... 1 MiB. Eight steps per
 * doubling bound the internal waste of a class at 1/9 (11.1%) of its size for every request above
 * 128 bytes; below that the 16-byte step is the finest grain the alignment allows. Every power of
 * two from 16 B to 1 MiB is a class, so stack segments of 4 KiB to 1 MiB map onto a class exactly.
 *
 * <p>Requests above {@link #MAX_SIZE} are not classed: they get a mapping of their own.
 */
final class SizeClasses {

    /** The largest block size served from a size class. */
    static final long MAX_SIZE = 1 << 20;

    /** Every block is at least this aligned, and every class size is a multiple of it. */
    static final long GRANULE = 16;

    /** Bytes that the lookup tables step by below and above 1 KiB. */
    private static final int SMALL_LIMIT = 1024;
    private static final int SMALL_STEP_SHIFT = 3;
    private static final int LARGE_STEP_SHIFT = 7;

    private static final int[] SIZES = buildSizes();
    /*
     * Both tables are a power of two long and indexed under a mask, so that the JIT, which knows a
     * static final array's length, drops the range check from the hot path. Entries past the last
     * size are never read (callers check 0 <= size <= MAX_SIZE).
     */
    private static final byte[] SIZE_TO_CLASS_8 = new byte[Integer.highestOneBit(SMALL_LIMIT >> SMALL_STEP_SHIFT) * 2];
    private static final byte[] SIZE_TO_CLASS_128 =
            new byte[(int) Integer.highestOneBit((int) ((MAX_SIZE - SMALL_LIMIT) >> LARGE_STEP_SHIFT)) * 2];
    private static final int MASK_8 = SIZE_TO_CLASS_8.length - 1;
    private static final int MASK_128 = SIZE_TO_CLASS_128.length - 1;

    static {
        int cls = 0;
        for (int i = 0; i <= SMALL_LIMIT >> SMALL_STEP_SHIFT; i++) {
            int size = i << SMALL_STEP_SHIFT;
            while (SIZES[cls] < size) {
                cls++;
            }
            SIZE_TO_CLASS_8[i] = (byte) cls;
        }
        for (int i = 0; i <= (MAX_SIZE - SMALL_LIMIT) >> LARGE_STEP_SHIFT; i++) {
            int size = SMALL_LIMIT + (i << LARGE_STEP_SHIFT);
            while (SIZES[cls] < size) {
                cls++;
            }
            SIZE_TO_CLASS_128[i] = (byte) cls;
        }
    }

    private SizeClasses() {
    }

    private static int[] buildSizes() {
        int[] sizes = new int[8 + 8 * Long.numberOfTrailingZeros(MAX_SIZE >> 7)];
        int n = 0;
        for (int size = 16; size <= 128; size += 16) {
            sizes[n++] = size;
        }
        for (int base = 128; base < MAX_SIZE; base <<= 1) {
            int step = base >> 3;
            for (int k = 1; k <= 8; k++) {
                sizes[n++] = base + k * step;
            }
        }
        if (n != sizes.length || sizes[n - 1] != MAX_SIZE) {
            throw new IllegalStateException("bad size class table");
        }
        return sizes;
    }

    /** The largest block the allocator maps (64 TiB); {@code NativeAllocator.MAX_BLOCK}. */
    static final long MAX_BLOCK = 1L << 46;
    /** The largest alignment accepted (1 GiB); {@code MAX_ALIGNMENT}. */
    static final long MAX_ALIGNMENT = 1L << 30;

    /**
     * Every chunk and every large span starts on, and is a multiple of, this many bytes: the
     * granule of the heap's class table and of the span map.
     */
    static final long CHUNK_ALIGNMENT = 64 * 1024;
    /** The most blocks a thread's ring holds, for any class: 32, for classes up to 8 KiB. */
    static final int RING_CAPACITY = 32;
    /** The most bytes of free blocks a ring holds, unless one block is larger. */
    static final long RING_BYTES = 256 << 10;
    private static final int[] RING_CAPACITIES = new int[SIZES.length];

    static {
        for (int c = 0; c < RING_CAPACITIES.length; c++) {
            RING_CAPACITIES[c] = (int) Math.max(1, Math.min(RING_CAPACITY, RING_BYTES / SIZES[c]));
        }
    }

    /**
     * Blocks a ring of class {@code index} holds at most: 32, or fewer so that they fit in
     * {@link #RING_BYTES} (at least one). The Go runtime bounds its stack cache in bytes the same way.
     * A large ring ({@link #isLargeRing}) starts at this and may grow past it within the thread's
     * {@link #LARGE_RING_BUDGET}.
     */
    static int ringCapacity(int index) {
        return RING_CAPACITIES[index];
    }

    /** Classes above this size (64 KiB) have large rings: {@link #LARGE_RING_SLOTS} slots, grown into within a budget. */
    static final long LARGE_RING_CLASS = 64 << 10;
    /** The slots of a large ring: enough for the buffers of one Arrow vector batch (validity, offsets, data). */
    static final int LARGE_RING_SLOTS = 4;
    /**
     * The bytes by which one thread's large rings may grow past their {@link #ringCapacity}, over all
     * large classes together (4 MiB): a thread that frees several blocks of a large class in a row
     * keeps them, instead of sending every one but the first to the central stack, while the thread's
     * cache stays bounded. The grant goes back when the cache is flushed.
     */
    static final long LARGE_RING_BUDGET = 4 << 20;

    /** True for a class whose ring may grow past its capacity: blocks above {@link #LARGE_RING_CLASS}. */
    static boolean isLargeRing(int index) {
        return SIZES[index] > LARGE_RING_CLASS;
    }

    /** The slots a ring of class {@code index} is made with: its capacity, or {@link #LARGE_RING_SLOTS} for a large ring. */
    static int ringSlots(int index) {
        return isLargeRing(index) ? Math.max(LARGE_RING_SLOTS, RING_CAPACITIES[index]) : RING_CAPACITIES[index];
    }

    /** Blocks a ring of class {@code index} takes from or gives to its central stack at once: half its capacity, at least one. */
    static int batch(int index) {
        return Math.max(1, RING_CAPACITIES[index] / 2);
    }

    /** Number of size classes. */
    static int count() {
        return SIZES.length;
    }

    /** Block size of class {@code index}, in bytes. */
    static long size(int index) {
        return SIZES[index];
    }

    /**
     * The smallest class whose blocks hold {@code size} bytes. Callers check the range first:
     * {@code 0 <= size <= MAX_SIZE}.
     */
    static int classOf(long size) {
        if (size <= SMALL_LIMIT) {
            return SIZE_TO_CLASS_8[((int) size + 7) >> SMALL_STEP_SHIFT & MASK_8];
        }
        return SIZE_TO_CLASS_128[(int) (size - SMALL_LIMIT + 127) >> LARGE_STEP_SHIFT & MASK_128];
    }

    /**
     * The smallest class that holds {@code size} bytes and whose blocks all start on an
     * {@code alignment} boundary, or -1 when none does. Blocks of a class sit at multiples of the
     * class size in chunks aligned to {@link SpanSource#CHUNK_ALIGNMENT}, so a class size that is a
     * multiple of the alignment gives aligned blocks.
     */
    static int classOf(long size, long alignment) {
        int cls = classOf(size);
        if (alignment <= GRANULE) {
            return cls;
        }
        if (alignment > SizeClasses.CHUNK_ALIGNMENT) {
            return -1;
        }
        // The 16, 32 and 48 B classes serve only 16-byte alignment: their block state is the size alone.
        for (cls = Math.max(cls, BlockState.SMALL_CLASSES); cls < SIZES.length; cls++) {
            if ((SIZES[cls] & (alignment - 1)) == 0) {
                return cls;
            }
        }
        return -1;
    }

    /** {@code value} rounded up to a multiple of {@code alignment}, a power of two. */
    static long roundUp(long value, long alignment) {
        return (value + alignment - 1) & -alignment;
    }

    /** Refuses an alignment that is not a power of two from 1 to {@link #MAX_ALIGNMENT}: the one rule, for class and large blocks. */
    static void checkAlignment(long alignment) {
        if (alignment <= 0 || alignment > MAX_ALIGNMENT || (alignment & (alignment - 1)) != 0) {
            throw Refusals.badAlignment(alignment);
        }
    }

    /**
     * Size class for a request with an alignment, -1 for a large block; refuses a bad alignment
     * (not a power of two from 1 to {@link #MAX_ALIGNMENT}).
     */
    static int classFor(long size, long alignment) {
        checkAlignment(alignment);
        if (size < 0 || size > MAX_SIZE) {
            return -1;
        }
        return classOf(size, alignment);
    }

    /**
     * Blocks carved from one chunk of class {@code index}: the fewest that make a chunk length that
     * is a multiple of the chunk alignment (so chunks tile the heap with no byte outside a block)
     * and at least one ring batch (so one refill seldom spans two chunks). That is 64 KiB to
     * 128 KiB for classes up to 8 KiB and one or two blocks for classes of 256 KiB and up: one
     * 1 MiB request maps 1 MiB, not 16 of them.
     */
    static int blocksPerChunk(int index) {
        long size = SIZES[index];
        long aligned = SizeClasses.CHUNK_ALIGNMENT / gcd(size, SizeClasses.CHUNK_ALIGNMENT);
        long blocks = aligned;
        while (blocks < batch(index)) {
            blocks += aligned;
        }
        return Math.toIntExact(blocks);
    }

    private static long gcd(long a, long b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    /**
     * A multiplier that turns a byte offset that is a multiple of the class size into the block
     * index without a division: {@code (offset * magic) >>> 32}. Exact for offsets below 2^32
     * (Go's {@code divMagic}); an offset that is not a block start is caught by the caller
     * multiplying back.
     */
    static long divisionMagic(int index) {
        return MAGIC[index];
    }

    private static final long[] MAGIC = new long[SIZES.length];

    static {
        for (int c = 0; c < SIZES.length; c++) {
            MAGIC[c] = (0xFFFF_FFFFL / SIZES[c]) + 1;
        }
    }
}
