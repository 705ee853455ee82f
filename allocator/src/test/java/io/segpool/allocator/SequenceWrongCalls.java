package io.segpool.allocator;

import io.segpool.allocator.SequenceRun.Block;
import io.segpool.allocator.SequenceThreads.Outcome;
import io.segpool.allocator.SequenceThreads.Route;
import io.segpool.stats.MemStats;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The wrong calls of {@link AllocatorModelTest}: one {@link SequenceKind} at random per call, built
 * from the model's live and freed blocks, made on a random {@link Route}, and checked by
 * {@link #expect}: it must throw the kind's exception, MemStats must be exactly as before, and the
 * blocks next to the address must keep their stamps. The wrong frees of the model's own blocks
 * are {@link SequenceWrongFrees}', the misuses of held and borrowed caches {@link SequenceWrongCaches}';
 * this class makes the rest (views, foreign segments, bad arguments) and keeps the counts the
 * test asserts.
 */
final class SequenceWrongCalls implements AutoCloseable {

    /**
     * Kinds left out, from {@code -Dsegpool.model.skip=KIND,KIND}: a diagnostic, to see what else
     * fails while one kind is known to; a CI run never sets it.
     */
    static final Set<SequenceKind> SKIPPED = skipped(System.getProperty("segpool.model.skip", ""));

    final SequenceRun run;
    final NativeAllocator other = NativeAllocator.create();
    private final Arena arena = Arena.ofConfined();
    private final SequenceWrongFrees frees;
    private final SequenceWrongCaches caches;
    final long[] tried = new long[SequenceKind.values().length];
    final long[] refused = new long[SequenceKind.values().length];
    final long[] byRoute = new long[Route.values().length];
    private final SequenceKind[] kinds;

    SequenceWrongCalls(SequenceRun run) {
        this.run = run;
        this.frees = new SequenceWrongFrees(this);
        this.caches = new SequenceWrongCaches(this);
        this.kinds = EnumSet.complementOf(SKIPPED.isEmpty() ? EnumSet.noneOf(SequenceKind.class) : EnumSet.copyOf(SKIPPED))
                .toArray(SequenceKind[]::new);
    }

    private static Set<SequenceKind> skipped(String names) {
        Set<SequenceKind> kinds = EnumSet.noneOf(SequenceKind.class);
        for (String name : names.split(",")) {
            if (!name.isBlank()) {
                kinds.add(SequenceKind.valueOf(name.trim()));
            }
        }
        return kinds;
    }

    /** Makes one wrong call of a random kind; a kind the model has nothing for now gives way to another. */
    void make() {
        for (int attempt = 0; attempt < 8; attempt++) {
            if (make(kinds[run.random.nextInt(kinds.length)])) {
                return;
            }
        }
    }

    private boolean make(SequenceKind kind) {
        return switch (kind) {
            case FREE_ARENA_SEGMENT -> foreignFree(kind, arena.allocate(1 + run.random.nextInt(256)));
            case FREE_CLOSED_ARENA_SEGMENT -> {
                MemorySegment segment;
                try (Arena closed = Arena.ofConfined()) {
                    segment = closed.allocate(1 + run.random.nextInt(256));
                }
                yield foreignFree(kind, segment);
            }
            case FREE_HEAP_SEGMENT -> foreignFree(kind, run.random.nextBoolean()
                    ? MemorySegment.ofArray(new long[1 + run.random.nextInt(64)])
                    : MemorySegment.ofArray(new byte[1 + run.random.nextInt(512)]));
            case FREE_OTHER_ALLOCATOR -> otherAllocatorsBlock();
            case FREE_NO_CHUNK -> {
                long address = noChunkAddress();
                long size = new long[] {16, 64, 1 + run.random.nextInt(4096), SizeClasses.MAX_SIZE + 1}[run.random.nextInt(4)];
                boolean forged = run.random.nextBoolean();
                yield onApi(kind, "0x" + Long.toHexString(address) + ", " + size + (forged ? " as a forged segment" : ""),
                        address, api -> {
                            if (forged) {
                                api.free(MemorySegment.ofAddress(address).reinterpret(size));
                            } else {
                                api.freeAddress(address, size);
                            }
                            return null;
                        });
            }
            case BAD_SIZE -> {
                long size = new long[] {-1 - run.random.nextInt(1 << 20), Long.MIN_VALUE, Long.MAX_VALUE,
                        NativeAllocator.MAX_BLOCK + 1 + run.random.nextInt(1 << 20)}[run.random.nextInt(4)];
                int how = run.random.nextInt(3);
                yield onApi(kind, "size " + size + " by " + how, 0, api -> switch (how) {
                    case 0 -> api.allocate(size);
                    case 1 -> api.allocateAddress(size);
                    default -> api.allocate(size, 16);
                });
            }
            case BAD_ALIGNMENT -> {
                long alignment = new long[] {0, -8, 24, 3, 48, 1L << 31, Long.MIN_VALUE, Long.MAX_VALUE}[run.random.nextInt(8)];
                long size = run.randomSize();
                yield onApi(kind, "allocate(" + size + ", " + alignment + ")", 0, api -> api.allocate(size, alignment));
            }
            case VIEW_PAST_BLOCK -> viewPastBlock();
            case VIEW_NO_CHUNK -> {
                long address = noChunkAddress();
                long size = run.random.nextInt(4096);
                yield view(kind, address, size);
            }
            case VIEW_NEGATIVE_SIZE -> {
                Block block = randomLive();
                yield block != null && view(kind, block.address(), -1 - run.random.nextInt(1 << 20));
            }
            case CACHE_OTHER_THREAD -> caches.onTheWrongThread();
            case BORROW_AFTER_CLOSE -> caches.borrowAfterClose();
            case THREAD_CACHE_ON_VIRTUAL -> expect(kind, Route.VIRTUAL, "threadCache()", 0,
                    () -> run.threads.onVirtual(() -> SequenceThreads.capture(run.allocator::threadCache)));
            default -> frees.make(kind);
        };
    }

    /**
     * Makes the wrong call: it must be refused with {@code kind}'s exception and change nothing
     * (MemStats equal; the live blocks on both sides of {@code near} keep their stamps near it).
     */
    boolean expect(SequenceKind kind, Route route, String what, long near, Supplier<Outcome<?>> attempt) {
        run.op = kind + " on " + route + ": " + what;
        MemStats before = TestSupport.stats(run.allocator);
        tried[kind.ordinal()]++;
        Outcome<?> outcome = attempt.get();
        if (outcome.thrown() == null) {
            throw new AssertionError(run.op + " was not refused: it returned " + outcome.value());
        }
        if (!kind.accepts(outcome.thrown())) {
            throw new AssertionError(run.op + " was refused with " + outcome.thrown() + " where " + kind.expected
                    + " was due", outcome.thrown());
        }
        assertEquals(before, TestSupport.stats(run.allocator), "MemStats changed by a refused call: " + run.op);
        checkStamp(run.live.floorEntry(near), near);
        checkStamp(run.live.higherEntry(near), near);
        refused[kind.ordinal()]++;
        byRoute[route.ordinal()]++;
        return true;
    }

    /** Checks the stamp of the live block of {@code entry} within 2 KiB of {@code near}. */
    private void checkStamp(Map.Entry<Long, Block> entry, long near) {
        if (entry != null) {
            Block block = entry.getValue();
            long from = Math.clamp(near - block.address() - 2048, 0, block.size());
            run.checkStamp(block, from, Math.min(4096, block.size() - from));
        }
    }

    /** {@link #expect} of a call through the allocator or a cache on a random route. */
    boolean onApi(SequenceKind kind, String what, long near, Function<SequenceThreads.Api, ?> call) {
        Route route = run.randomRoute();
        boolean useCache = run.random.nextBoolean();
        return expect(kind, route, what, near, () -> run.threads.run(route, useCache, call::apply));
    }

    /** {@link #expect} of {@code segment(address, size)} on the test thread or the helper. */
    boolean view(SequenceKind kind, long address, long size) {
        return view(kind, address, size, null);
    }

    /** {@link #view(SequenceKind, long, long)} of an address in or at {@code block}. */
    boolean view(SequenceKind kind, long address, long size, Block block) {
        Route route = run.random.nextBoolean() ? Route.MAIN : Route.HELPER;
        return expect(kind, route, "segment(0x" + Long.toHexString(address) + ", " + size + ")"
                + (block == null ? "" : " of " + block), address,
                () -> run.threads.run(route, false, api -> run.allocator.segment(address, size)));
    }

    private boolean foreignFree(SequenceKind kind, MemorySegment segment) {
        return onApi(kind, "free(" + segment + ")", 0, api -> {
            api.free(segment);
            return null;
        });
    }

    private boolean otherAllocatorsBlock() {
        long size = run.random.nextInt(10) == 0 ? SizeClasses.MAX_SIZE + 1 : run.random.nextInt(4096);
        MemorySegment block = other.allocate(size);
        boolean byAddress = run.random.nextBoolean();
        try {
            return onApi(SequenceKind.FREE_OTHER_ALLOCATOR, (byAddress ? "freeAddress of " : "free of ") + block, 0, api -> {
                if (byAddress) {
                    api.freeAddress(block.address(), size);
                } else {
                    api.free(block);
                }
                return null;
            });
        } finally {
            other.free(block);
        }
    }

    /**
     * An address that no chunk of this allocator holds: above the heap's top in its reservation,
     * in the block-state tables after the heap, just below the heap, or far away.
     */
    long noChunkAddress() {
        Heap heap = run.allocator.heap;
        long r = run.random.nextInt(1 << 16);
        return switch (run.random.nextInt(6)) {
            case 0 -> heap.base + heap.topAcquire() + 16 * r;
            case 1 -> heap.base + heap.intTable + 64 * r;
            case 2 -> heap.base + heap.byteTable + 16 * r;
            case 3 -> heap.base - 16 * (1 + r);
            case 4 -> 16 * (1 + r);
            default -> (Long.MAX_VALUE & -16L) - 16 * r;
        };
    }

    Block randomLive() {
        return run.liveList.isEmpty() ? null : run.liveList.get(run.random.nextInt(run.liveList.size()));
    }

    private boolean viewPastBlock() {
        Block block = randomLive();
        if (block == null) {
            return false;
        }
        long limit = block.viewLimit();
        // From inside the block (its end is the next block's start, where a short view is right).
        long from = limit == 0 ? 0 : run.random.nextBoolean() ? 16 * run.random.nextLong(Math.ceilDiv(limit, 16))
                : run.random.nextLong(limit);
        long past = 1 + (run.random.nextBoolean() ? run.random.nextInt(16) : run.random.nextInt(1 << 20));
        return view(SequenceKind.VIEW_PAST_BLOCK, block.address() + from, limit - from + past, block);
    }

    /** Kinds whose count is below {@code min} (tried or refused), with both counts: empty when all are at or above it. */
    String below(long min, java.util.Set<SequenceKind> once) {
        StringBuilder out = new StringBuilder();
        for (SequenceKind kind : kinds) {
            long floor = once.contains(kind) ? 1 : min;
            if (tried[kind.ordinal()] < floor || refused[kind.ordinal()] != tried[kind.ordinal()]) {
                out.append(kind).append(" tried ").append(tried[kind.ordinal()]).append(" refused ")
                        .append(refused[kind.ordinal()]).append("; ");
            }
        }
        return out.toString();
    }

    /** Blocks trimmed on purpose whose chunk the trim did release (the rest were still double frees). */
    long releasedForSure() {
        return frees.releasedForSure;
    }

    /** The kind tried least often, with its count. */
    String rarest() {
        SequenceKind rarest = kinds[0];
        for (SequenceKind kind : kinds) {
            if (tried[kind.ordinal()] < tried[rarest.ordinal()]) {
                rarest = kind;
            }
        }
        return rarest + " " + tried[rarest.ordinal()];
    }

    long total() {
        long sum = 0;
        for (long n : refused) {
            sum += n;
        }
        return sum;
    }

    @Override
    public void close() {
        other.close();
        arena.close();
    }
}
