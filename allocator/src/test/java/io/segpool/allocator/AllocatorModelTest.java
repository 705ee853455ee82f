package io.segpool.allocator;

import io.segpool.stats.MemStats;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random call sequences on one allocator, checked after every step against a model: the set of
 * live blocks with their sizes. {@code Inuse} must equal the model's sum of class sizes (small
 * blocks) and rounded mapping lengths (large blocks, {@link LargeBlocks#spanBytes}), {@code Mallocs} and {@code Frees} its
 * counts, {@code Sys} must be conserved, every wrong call must throw and leave MemStats equal, and
 * every block must keep the stamp written at its allocation until its free.
 *
 * <p>Seeds take turns at four set-ups: plain; debug mode; a 32 MiB memory limit; and an OS that
 * refuses one mapping in eight. A failure names its seed and step; to replay one, run its
 * invocation alone (or set {@link #FIRST_SEED} to it and {@link #SEEDS} to 1).
 */
class AllocatorModelTest {

    private static final long FIRST_SEED = 1;
    private static final int SEEDS = 20;
    private static final int STEPS = 20_000;
    private static final int MAX_LIVE = 300;
    private static final long LIMIT = 32L << 20;

    private static final AtomicInteger seedsRun = new AtomicInteger();

    /** A live block: how it was allocated, the bytes it counts in Inuse, and the stamp written into it. */
    private record Block(long address, long size, long footprint, MemorySegment segment, long stamp) {
    }

    static LongStream seeds() {
        return LongStream.range(FIRST_SEED, FIRST_SEED + SEEDS);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void randomCallsMatchTheModel(long seed) {
        Run run = new Run(seed);
        try {
            run.steps();
        } catch (Throwable e) {
            System.out.println("allocator model FAILED: seed " + seed + " at step " + run.step + " (" + run.op + ")");
            throw new AssertionError("seed " + seed + ", step " + run.step + ", op " + run.op + ": " + e, e);
        } finally {
            run.close();
        }
        System.out.printf("allocator model: seed %d (%s) ran %,d steps: %,d allocations, %,d frees, %,d wrong calls"
                        + " refused, %,d requests refused for memory, %d trims%n", seed, run.setup, STEPS, run.mallocs,
                run.frees, run.wrongCalls, run.memoryRefusals, run.trims);
        if (seedsRun.incrementAndGet() == SEEDS) {
            System.out.printf("allocator model: %d seeds x %,d steps = %,d steps checked%n", SEEDS, STEPS,
                    (long) SEEDS * STEPS);
        }
    }

    /** One seed's allocator, model and counters. */
    private static final class Run implements AutoCloseable {
        final SplittableRandom random;
        final String setup;
        final FailingMapper mapper = new FailingMapper();
        final NativeAllocator allocator;
        final NativeAllocator other = NativeAllocator.create();
        final Arena arena = Arena.ofConfined();
        final long limit;
        final List<Block> live = new ArrayList<>();
        final Set<Long> liveAddresses = new HashSet<>();
        final ArrayDeque<Block> freed = new ArrayDeque<>();
        final MemStats stats = new MemStats();
        long inuse;
        long mallocs;
        long frees;
        long wrongCalls;
        long memoryRefusals;
        long trims;
        int step;
        String op = "setup";

        Run(long seed) {
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
        }

        void steps() {
            for (step = 0; step < STEPS; step++) {
                int dice = random.nextInt(100);
                if (dice < 50 && live.size() < MAX_LIVE || live.isEmpty()) {
                    allocate(dice);
                } else if (dice < 88) {
                    free(live.get(random.nextInt(live.size())));
                } else if (dice < 89) {
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
                } else {
                    wrongCall();
                }
                check();
            }
        }

        private void allocate(int dice) {
            long size = randomSize();
            long alignment = dice < 8 ? 1L << random.nextInt(19) : 0;
            boolean byAddress = alignment == 0 && dice % 3 == 0;
            op = (byAddress ? "allocateAddress(" : "allocate(") + size + (alignment != 0 ? ", " + alignment : "") + ")";
            long address;
            MemorySegment segment = null;
            try {
                if (byAddress) {
                    address = allocator.allocateAddress(size);
                } else {
                    segment = alignment != 0 ? allocator.allocate(size, alignment) : allocator.allocate(size);
                    address = segment.address();
                    assertEquals(size, segment.byteSize());
                }
            } catch (OutOfMemoryError | MemoryLimitException refused) {
                assertTrue(limit != 0 || mapper.refused() > 0, "refused with no limit and no OS refusal: " + refused);
                memoryRefusals++;
                return;
            }
            if (alignment != 0) {
                assertEquals(0, address & (alignment - 1), "aligned to " + alignment);
            }
            assertTrue(liveAddresses.add(address), "0x" + Long.toHexString(address) + " handed out twice");
            Block block = new Block(address, size, footprint(size, alignment), segment, random.nextLong());
            stamp(block, true);
            live.add(block);
            inuse += block.footprint();
            mallocs++;
        }

        private void free(Block block) {
            op = "free " + block;
            stamp(block, false);
            if (block.segment() != null && random.nextBoolean()) {
                allocator.free(block.segment());
            } else if (random.nextInt(4) == 0) {
                allocator.free(allocator.segment(block.address(), block.size()));
            } else {
                allocator.freeAddress(block.address(), block.size());
            }
            live.remove(block);
            liveAddresses.remove(block.address());
            freed.addFirst(block);
            if (freed.size() > 32) {
                freed.removeLast();
            }
            inuse -= block.footprint();
            frees++;
        }

        /** A call that must be refused: it throws and MemStats stay exactly as they were. */
        private void wrongCall() {
            MemStats before = TestSupport.stats(allocator);
            Block any = live.isEmpty() ? null : live.get(random.nextInt(live.size()));
            Block stale = freed.isEmpty() ? null : freed.peekFirst();
            Runnable call;
            switch (random.nextInt(9)) {
                case 0 -> {
                    if (stale == null || liveAddresses.contains(stale.address())) {
                        return;
                    }
                    op = "double free " + stale;
                    call = stale.segment() != null ? () -> allocator.free(stale.segment())
                            : () -> allocator.freeAddress(stale.address(), stale.size());
                }
                case 1 -> {
                    op = "free of an Arena segment";
                    call = () -> allocator.free(arena.allocate(64));
                }
                case 2 -> {
                    op = "free of a heap segment";
                    call = () -> allocator.free(MemorySegment.ofArray(new long[4]));
                }
                case 3 -> {
                    op = "free of another allocator's block";
                    MemorySegment foreign = other.allocate(48);
                    call = () -> allocator.free(foreign);
                }
                case 4 -> {
                    if (any == null || any.size() < 32) {
                        return;
                    }
                    op = "free of a slice of " + any;
                    call = () -> allocator.free(allocator.segment(any.address(), any.size()).asSlice(16));
                }
                case 5 -> {
                    if (any == null) {
                        return;
                    }
                    op = "freeAddress with the wrong size of " + any;
                    call = () -> allocator.freeAddress(any.address(), any.size() + 16);
                }
                case 6 -> {
                    long size = -1 - random.nextInt(1 << 20);
                    op = "allocate(" + size + ")";
                    call = random.nextBoolean() ? () -> allocator.allocate(size) : () -> allocator.allocateAddress(size);
                }
                case 7 -> {
                    long alignment = new long[] {0, -8, 24, 3, 1L << 31}[random.nextInt(5)];
                    op = "allocate(64, " + alignment + ")";
                    call = () -> allocator.allocate(64, alignment);
                }
                default -> {
                    if (any == null) {
                        return;
                    }
                    op = "free of a forged segment over " + any;
                    call = () -> allocator.free(MemorySegment.ofAddress(any.address()).reinterpret(any.size()));
                }
            }
            try {
                call.run();
            } catch (IllegalArgumentException | IllegalStateException expected) {
                wrongCalls++;
                assertEquals(before, TestSupport.stats(allocator), "MemStats changed by a refused call");
                return;
            }
            throw new AssertionError(op + " was not refused");
        }

        private void check() {
            allocator.readMemStats(stats);
            assertEquals(inuse, stats.inuse(), "Inuse against the model");
            assertEquals(mallocs, stats.mallocs(), "Mallocs against the model");
            assertEquals(frees, stats.frees(), "Frees against the model");
            TestSupport.assertConserved(stats);
            if (limit != 0) {
                assertTrue(TestSupport.resident(stats) <= limit, "Sys - Released past the limit " + limit + "\n" + stats);
            }
        }

        private long randomSize() {
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
        private static long footprint(long size, long alignment) {
            int sizeClass = size > SizeClasses.MAX_SIZE ? -1
                    : alignment > SizeClasses.GRANULE ? SizeClasses.classOf(size, alignment) : SizeClasses.classOf(size);
            if (sizeClass < 0) {
                return LargeBlocks.spanBytes(size);
            }
            return SizeClasses.size(sizeClass);
        }

        /** Writes (or checks) the block's stamp at both ends: a block handed out twice loses it. */
        private void stamp(Block block, boolean write) {
            if (block.size() < 8) {
                return;
            }
            MemorySegment view = allocator.segment(block.address(), block.size());
            long[] offsets = block.size() < 16 ? new long[] {0} : new long[] {0, block.size() - 8};
            for (long offset : offsets) {
                long expected = block.stamp() ^ offset;
                if (write) {
                    view.set(ValueLayout.JAVA_LONG_UNALIGNED, offset, expected);
                } else {
                    assertEquals(expected, view.get(ValueLayout.JAVA_LONG_UNALIGNED, offset),
                            "stamp of " + block + " at " + offset + ": written by another owner");
                }
            }
        }

        @Override
        public void close() {
            allocator.close();
            other.close();
            arena.close();
        }
    }
}
