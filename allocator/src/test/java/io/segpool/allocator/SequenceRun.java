package io.segpool.allocator;

import io.segpool.allocator.SequenceThreads.Outcome;
import io.segpool.allocator.SequenceThreads.Route;
import io.segpool.stats.MemStats;

import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One seed of {@link AllocatorModelTest}: the allocator, the model of its live blocks, and the
 * right calls (allocate, free, trim, flush, views) on every {@link Route}, each checked against
 * the model. The wrong calls are {@link SequenceWrongCalls}'.
 *
 * <p>The model knows, beside the live blocks, the class blocks freed in the current <em>epoch</em>:
 * a stretch of steps in which no chunk can have changed class. A chunk changes class only when
 * trim releases it and a later carve reuses the range; so an epoch ends at every trim, every
 * change of {@code Released}, every release the mapper sees (one release and one reuse in a step
 * leave {@code Released} as it was), every refusal by the OS, and (under a memory limit) every step that
 * ends near the limit, where a refused carve may have trimmed and reused in one call. Within an
 * epoch a freed block's address is still a block start of its class, which is what lets the wrong
 * calls say exactly which exception a double free or a free neighbour must get.
 */
final class SequenceRun implements AutoCloseable {

    static final int MAX_LIVE = 300;
    static final long LIMIT = 32L << 20;
    /** Near the limit: the largest request the model makes, rounded up. */
    private static final long NEAR_LIMIT = 4L << 20;

    /** A live or freed block: how it was handed out, the bytes it counts in Inuse, its stamp. */
    record Block(long serial, long address, long size, long footprint, boolean large, MemorySegment segment,
                 long pattern) {
        /** The longest view {@code segment()} must give from the block's start: a class block's size, a large block's request. */
        long viewLimit() {
            return large ? size : footprint;
        }

        @Override
        public String toString() {
            return (large ? "large block #" : "block #") + serial + " 0x" + Long.toHexString(address) + " (" + size
                    + " of " + footprint + " B" + (segment != null ? ", segment" : ", address") + ")";
        }
    }

    final SplittableRandom random;
    final String setup;
    final FailingMapper mapper = new FailingMapper();
    final NativeAllocator allocator;
    final SequenceThreads threads;
    final long limit;
    final TreeMap<Long, Block> live = new TreeMap<>();
    final List<Block> liveList = new ArrayList<>();
    /** Class blocks freed in this epoch, by address, oldest first, at most 4096. */
    final Map<Long, Block> freedThisEpoch = new LinkedHashMap<>(4096, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Block> eldest) {
            return size() > 4096;
        }
    };
    /** The last 64 blocks freed, class and large, newest first, whatever the epoch. */
    final ArrayDeque<Block> recentlyFreed = new ArrayDeque<>();
    final MemStats stats = new MemStats();
    long inuse;
    long mallocs;
    long frees;
    long memoryRefusals;
    long trims;
    long epochs;
    private long serials;
    private long lastReleased;
    private int lastRefused;
    /**
     * Ranges released so far, as the mapper counts them: a step can release one chunk and carve
     * another released range again, which leaves {@code Released} unchanged but changes a class.
     */
    private int lastReleases;
    final long[] rightCallsByRoute = new long[Route.values().length];
    int step;
    String op = "setup";

    SequenceRun(long seed) {
        random = new SplittableRandom(seed);
        AllocatorConfig config = AllocatorConfig.defaults();
        switch ((int) (seed % 4)) {
            case 1 -> config = config.withDebug(true);
            case 2 -> config = config.withMemoryLimit(LIMIT);
            case 3 -> {
                SplittableRandom osDice = random.split();
                mapper.refuseWhen(length -> osDice.nextInt(8) == 0);
            }
            default -> {
            }
        }
        setup = switch ((int) (seed % 4)) {
            case 1 -> "debug";
            case 2 -> "limit " + LIMIT;
            case 3 -> "OS refuses 1 in 8";
            default -> "plain";
        };
        limit = config.memoryLimit();
        allocator = NativeAllocator.create(config, mapper);
        threads = new SequenceThreads(allocator);
        threads.makeEveryStripe();
        check();
    }

    Route randomRoute() {
        int dice = random.nextInt(100);
        return dice < 50 ? Route.MAIN : dice < 70 ? Route.MAIN_CACHE : dice < 88 ? Route.HELPER : Route.VIRTUAL;
    }

    /** Allocates a block of a random size on a random route; returns it, or null when memory was refused. */
    Block allocate() {
        long size = randomSize();
        long alignment = random.nextInt(100) < 8 ? 1L << random.nextInt(19) : 0;
        return allocate(size, alignment, alignment == 0 && random.nextInt(3) == 0, randomRoute());
    }

    Block allocate(long size, long alignment, boolean byAddress, Route route) {
        op = route + (byAddress ? " allocateAddress(" : " allocate(") + size + (alignment != 0 ? ", " + alignment : "") + ")";
        Outcome<MemorySegment> got = threads.run(route, random.nextBoolean(), api -> byAddress
                ? MemorySegment.ofAddress(api.allocateAddress(size))
                : alignment != 0 ? api.allocate(size, alignment) : api.allocate(size));
        if (got.thrown() instanceof OutOfMemoryError || got.thrown() instanceof MemoryLimitException) {
            Throwable refused = got.thrown();
            assertTrue(limit != 0 || mapper.refused() > 0, "refused with no limit and no OS refusal: " + refused);
            memoryRefusals++;
            return null;
        }
        rethrowIfThrown(got.thrown());
        long address = got.value().address();
        MemorySegment segment = byAddress ? null : got.value();
        if (segment != null) {
            assertEquals(size, segment.byteSize());
        }
        if (alignment != 0) {
            assertEquals(0, address & (alignment - 1), "aligned to " + alignment);
        }
        assertEquals(0, address & (SizeClasses.GRANULE - 1), "16-byte aligned");
        long serial = serials++;
        Block block = new Block(serial, address, size, footprint(size, alignment), size > SizeClasses.MAX_SIZE
                || (alignment != 0 && SizeClasses.classFor(size, alignment) < 0), segment,
                SequenceStamps.offsetFor(serial, size));
        assertNoOverlap(block);
        SequenceStamps.write(view(block), block.pattern(), 0);
        live.put(address, block);
        liveList.add(block);
        freedThisEpoch.remove(address);
        inuse += block.footprint();
        mallocs++;
        rightCallsByRoute[route.ordinal()]++;
        return block;
    }

    /**
     * {@link #allocate(long, long, boolean, Route)}, freeing the largest of a few random live
     * blocks when memory is refused and trying once more: for a wrong call that needs a block of
     * this size even near the limit.
     */
    Block allocateMakingRoom(long size, boolean byAddress, Route route) {
        Block block = allocate(size, 0, byAddress, route);
        if (block == null && !liveList.isEmpty()) {
            Block largest = liveList.get(random.nextInt(liveList.size()));
            for (int i = 0; i < 8; i++) {
                Block other = liveList.get(random.nextInt(liveList.size()));
                largest = other.footprint() > largest.footprint() ? other : largest;
            }
            free(largest);
            block = allocate(size, 0, byAddress, route);
        }
        return block;
    }

    /** Frees {@code block} on a random route, one of the ways it may be freed, after checking its stamp. */
    void free(Block block) {
        free(block, randomRoute());
    }

    void free(Block block, Route route) {
        op = route + " free " + block;
        checkStamp(block);
        int how = random.nextInt(4);
        MemorySegment segment = how == 0 ? allocator.segment(block.address(), block.size()) : block.segment();
        boolean bySegment = segment != null && how < 2;
        Outcome<Object> done = threads.run(route, random.nextBoolean(), api -> {
            if (bySegment) {
                api.free(segment);
            } else {
                api.freeAddress(block.address(), block.size());
            }
            return null;
        });
        rethrowIfThrown(done.thrown());
        live.remove(block.address());
        liveList.remove(block);
        if (!block.large()) {
            freedThisEpoch.put(block.address(), block);
        }
        recentlyFreed.addFirst(block);
        if (recentlyFreed.size() > 64) {
            recentlyFreed.removeLast();
        }
        inuse -= block.footprint();
        frees++;
        rightCallsByRoute[route.ordinal()]++;
    }

    void trim() {
        op = "trim";
        allocator.readMemStats(stats);
        long sysBefore = stats.sys();
        long releasedBefore = stats.released();
        long bytes = allocator.trim();
        allocator.readMemStats(stats);
        long unmapped = sysBefore - stats.sys();
        assertEquals(bytes, stats.released() - releasedBefore + unmapped,
                "trim gave back what it says: chunk pages released (still mapped) plus free large blocks unmapped");
        assertTrue(unmapped >= 0, "trim never maps");
        trims++;
        newEpoch();
    }

    /** Flushes the test thread's or the helper's held cache: afterwards no more is cached than before. */
    void flush() {
        boolean helper = random.nextBoolean();
        op = helper ? "helper flush" : "flush";
        long cachedBefore = TestSupport.stats(allocator).cached();
        long given = helper ? threads.onHelper(() -> threads.helperCache().flush()) : threads.mainCache().flush();
        long cachedAfter = TestSupport.stats(allocator).cached();
        assertTrue(given >= 0 && cachedAfter <= cachedBefore, "flush gave back " + given + " blocks; cached "
                + cachedBefore + " -> " + cachedAfter);
    }

    /** A view inside a random live block reads the block's stamp (views may reach to the end of a class block). */
    void viewInside() {
        Block block = liveList.get(random.nextInt(liveList.size()));
        long limit = block.viewLimit();
        long from = random.nextLong(limit + 1);
        long length = random.nextLong(limit - from + 1);
        op = "segment(" + block + " + " + from + ", " + length + ")";
        MemorySegment view = allocator.segment(block.address() + from, length);
        assertEquals(length, view.byteSize());
        long stamped = Math.min(length, block.size() - from);
        if (stamped > 0) {
            assertEquals(-1, SequenceStamps.firstChanged(view.asSlice(0, stamped), block.pattern(), from),
                    "stamp of " + block + " read through a view at " + from);
        }
    }

    /** Every byte of {@code block} still holds its stamp: no other owner, poison or release touched it. */
    void checkStamp(Block block) {
        checkStamp(block, 0, block.size());
    }

    /** {@link #checkStamp(Block)} of a random window of at most 4 KiB: the check after every step. */
    void spotCheck(Block block) {
        long length = Math.min(block.size(), 4096);
        checkStamp(block, random.nextLong(block.size() - length + 1), length);
    }

    /** Checks {@code length} bytes of {@code block}'s stamp from byte {@code from}. */
    void checkStamp(Block block, long from, long length) {
        long changed = SequenceStamps.firstChanged(view(block).asSlice(from, length), block.pattern(), from);
        if (changed >= 0) {
            throw new AssertionError("byte " + (from + changed) + " of live " + block + " changed: written by another"
                    + " owner (handed out twice), poisoned, or released");
        }
    }

    private MemorySegment view(Block block) {
        return block.segment() != null ? block.segment() : allocator.segment(block.address(), block.size());
    }

    /** The model's figures against MemStats, conservation, the limit, and part of a random live block's stamp. */
    void check() {
        allocator.readMemStats(stats);
        assertEquals(inuse, stats.inuse(), "Inuse against the model");
        assertEquals(mallocs, stats.mallocs(), "Mallocs against the model");
        assertEquals(frees, stats.frees(), "Frees against the model");
        TestSupport.assertConserved(stats);
        long resident = TestSupport.resident(stats);
        if (limit != 0) {
            assertTrue(resident <= limit, () -> "Sys - Released past the limit " + limit + "\n" + stats);
        }
        if (stats.released() != lastReleased || mapper.releases() != lastReleases || mapper.refused() != lastRefused
                || (limit != 0 && resident + NEAR_LIMIT > limit)) {
            newEpoch();
        }
        if (!liveList.isEmpty()) {
            spotCheck(liveList.get(random.nextInt(liveList.size())));
        }
    }

    void newEpoch() {
        freedThisEpoch.clear();
        lastReleased = TestSupport.stats(allocator).released();
        lastRefused = mapper.refused();
        lastReleases = mapper.releases();
        epochs++;
    }

    private void assertNoOverlap(Block block) {
        Map.Entry<Long, Block> below = live.floorEntry(block.address() + Math.max(block.footprint(), 1) - 1);
        if (below != null && below.getValue().address() + below.getValue().footprint() > block.address()) {
            throw new AssertionError(block + " overlaps live " + below.getValue() + ": handed out twice");
        }
    }

    static void rethrowIfThrown(Throwable thrown) {
        if (thrown != null) {
            throw new AssertionError("a right call was refused: " + thrown, thrown);
        }
    }

    long randomSize() {
        int kind = random.nextInt(100);
        if (kind < 60) {
            return random.nextInt(257);
        }
        if (kind < 90) {
            return 257 + random.nextInt(64 * 1024);
        }
        if (kind < 98) {
            return 1 + random.nextInt((int) SizeClasses.MAX_SIZE);
        }
        return SizeClasses.MAX_SIZE + 1 + random.nextInt(2 << 20);
    }

    /** Bytes a block counts in Inuse: its class size, or a large block's rounded mapping. */
    static long footprint(long size, long alignment) {
        int sizeClass = size > SizeClasses.MAX_SIZE ? -1
                : alignment > SizeClasses.GRANULE ? SizeClasses.classOf(size, alignment) : SizeClasses.classOf(size);
        return sizeClass < 0 ? LargeBlocks.spanBytes(size) : SizeClasses.size(sizeClass);
    }

    @Override
    public void close() {
        threads.close();
        allocator.close();
    }
}
