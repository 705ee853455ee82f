package io.segpool.allocator;

import io.segpool.allocator.SequenceRun.Block;
import io.segpool.allocator.SequenceThreads.Route;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The wrong frees and views of the model's own blocks, for {@link SequenceWrongCalls}: interiors at
 * 16-byte steps (the first 64-byte window half the time, anywhere in the block otherwise) and at
 * odd offsets, the neighbouring blocks' addresses, smaller and larger sizes, slices and forged
 * segments, double frees, free blocks' interiors and views, and blocks whose chunk trim() has
 * just released. A free block comes from the current epoch's freed blocks (see {@link SequenceRun})
 * or is freed right before the wrong call, so that its address is known to be a free block start
 * of its class.
 */
final class SequenceWrongFrees {

    /** Classes whose chunk is one block: once that block is free and flushed, trim releases its chunk. */
    private static final int[] ONE_BLOCK_CLASSES = oneBlockClasses();

    private final SequenceWrongCalls calls;
    private final SequenceRun run;
    private final SplittableRandom random;
    /** Blocks of {@link SequenceKind#FREE_RELEASED} and {@link SequenceKind#VIEW_RELEASED} whose chunk the trim did release. */
    long releasedForSure;

    SequenceWrongFrees(SequenceWrongCalls calls) {
        this.calls = calls;
        this.run = calls.run;
        this.random = run.random;
    }

    private static int[] oneBlockClasses() {
        List<Integer> classes = new ArrayList<>();
        for (int c = 1; c < SizeClasses.count(); c++) {
            if (SizeClasses.blocksPerChunk(c) == 1) {
                classes.add(c);
            }
        }
        return classes.stream().mapToInt(Integer::intValue).toArray();
    }

    boolean make(SequenceKind kind) {
        return switch (kind) {
            case DOUBLE_FREE -> {
                Block block = freedSmall(16);
                yield block != null && free(kind, block, block.address(), block.size(), block.segment());
            }
            case DOUBLE_FREE_LARGE -> {
                Block block = freedLarge();
                yield block != null && free(kind, block, block.address(), block.size(), block.segment());
            }
            case FREE_RELEASED, VIEW_RELEASED -> released(kind);
            case FREE_INTERIOR -> {
                Block block = live(false, 32);
                yield block != null && interior(kind, block, 16 * step(block.footprint()));
            }
            case FREE_UNALIGNED -> {
                Block block = live(random.nextBoolean(), 16);
                yield block != null && interior(kind, block, 1 + random.nextInt(15));
            }
            case FREE_INTERIOR_LARGE -> {
                Block block = live(true, 32);
                yield block != null && interior(kind, block, 16 * step(block.size()));
            }
            case FREE_INTERIOR_OF_FREE -> {
                Block block = freedSmall(32);
                yield block != null && free(kind, block, block.address() + 16 * step(block.footprint()), block.size(), null);
            }
            case FREE_NEIGHBOUR_LIVE, FREE_NEIGHBOUR_FREE -> neighbour(kind);
            case FREE_SMALLER_SIZE -> {
                Block block = live(random.nextInt(8) == 0, 1);
                if (block == null || block.size() == 0) {
                    yield false;
                }
                long size = random.nextLong(block.size());
                int how = random.nextInt(3);
                MemorySegment view = how == 0 ? run.allocator.segment(block.address(), size)
                        : how == 1 && block.segment() != null ? block.segment().asSlice(0, size) : null;
                yield free(kind, block, block.address(), size, view);
            }
            case FREE_LARGER_SIZE -> {
                Block block = live(random.nextInt(8) == 0, 16);
                if (block == null) {
                    yield false;
                }
                long room = block.viewLimit() - block.size();
                long size = room > 0 && random.nextBoolean() ? block.size() + 1 + random.nextLong(room)
                        : block.size() + 1 + random.nextInt(random.nextBoolean() ? 16 : 2 << 20);
                MemorySegment view = size <= block.viewLimit() && random.nextBoolean()
                        ? run.allocator.segment(block.address(), size) : null;
                yield free(kind, block, block.address(), size, view);
            }
            case FREE_SLICE -> {
                Block block = live(random.nextInt(8) == 0, 1);
                if (block == null || block.size() < 2) {
                    yield false;
                }
                MemorySegment whole = block.segment() != null ? block.segment()
                        : run.allocator.segment(block.address(), block.size());
                long from = block.size() > 16 && random.nextBoolean() ? 16 * (1 + random.nextLong((block.size() - 1) / 16))
                        : 1 + random.nextLong(block.size() - 1);
                MemorySegment slice = whole.asSlice(from);
                yield free(kind, block, slice.address(), slice.byteSize(), slice);
            }
            case FREE_FORGED -> {
                Block block = live(random.nextInt(8) == 0, 1);
                if (block == null) {
                    yield false;
                }
                long size = random.nextBoolean() ? block.size() : random.nextLong(block.viewLimit() + 1);
                yield free(kind, block, block.address(), size, MemorySegment.ofAddress(block.address()).reinterpret(size));
            }
            case VIEW_OF_FREE_BLOCK -> {
                Block block = random.nextInt(4) == 0 ? freedLarge() : freedSmall(16);
                if (block == null) {
                    yield false;
                }
                long from = block.viewLimit() == 0 || random.nextBoolean() ? 0 : random.nextLong(block.viewLimit());
                if (block.viewLimit() - from < 1) {
                    yield false;
                }
                // At least one byte: an empty view at a free block's start is also the empty view
                // at the end of the block before it, which may be live.
                yield calls.view(kind, block.address() + from, 1 + random.nextLong(block.viewLimit() - from), block);
            }
            default -> throw new IllegalArgumentException(kind + " is not a wrong free of the model's blocks");
        };
    }

    /** A 16-byte step inside a block of {@code bytes}, at least 1: one of the first four half the time. */
    private long step(long bytes) {
        long steps = bytes / 16 - 1;
        return 1 + random.nextLong(random.nextBoolean() ? Math.min(4, steps) : steps);
    }

    /** A wrong free of an interior {@code offset} of a live block: its size, the room left, or a view of the rest. */
    private boolean interior(SequenceKind kind, Block block, long offset) {
        long address = block.address() + offset;
        long room = block.viewLimit() - offset;
        return switch (random.nextInt(3)) {
            case 0 -> free(kind, block, address, block.size(), null);
            case 1 -> free(kind, block, address, room, null);
            default -> {
                long length = random.nextLong(room + 1);
                yield free(kind, block, address, length, run.allocator.segment(address, length));
            }
        };
    }

    /**
     * The block next to a live class block: live with another size (it must not be freed with this
     * block's size), or free (freed right now when it is live, or known free in this epoch).
     */
    private boolean neighbour(SequenceKind kind) {
        for (int attempt = 0; attempt < 8; attempt++) {
            Block block = live(false, 16);
            if (block == null) {
                return false;
            }
            long address = block.address() + (random.nextBoolean() ? block.footprint() : -block.footprint());
            Block next = run.live.get(address);
            if (kind == SequenceKind.FREE_NEIGHBOUR_LIVE) {
                if (next != null && next.size() != block.size()) {
                    return free(kind, next, address, block.size(), null);
                }
                continue;
            }
            Block freed = run.freedThisEpoch.get(address);
            if (next != null) {
                run.free(next);
                freed = next;
            }
            if (freed != null) {
                return free(kind, freed, address, block.size(), null);
            }
        }
        return false;
    }

    /**
     * A block of a class whose chunk is that one block, freed, flushed and trimmed, so that its
     * chunk went back to the OS: freeing it again, or viewing it, is refused.
     */
    private boolean released(SequenceKind kind) {
        int sizeClass = ONE_BLOCK_CLASSES[random.nextInt(ONE_BLOCK_CLASSES.length)];
        long smallest = SizeClasses.size(sizeClass - 1) + 1;
        long size = smallest + random.nextLong(SizeClasses.size(sizeClass) - smallest + 1);
        Block block = run.allocateMakingRoom(size, random.nextBoolean(), Route.MAIN);
        if (block == null) {
            return false;
        }
        run.free(block, Route.MAIN);
        run.threads.mainCache().flush();
        run.trim();
        Heap heap = run.allocator.heap;
        if (heap.classAt(block.address() - heap.base) < 0) {
            releasedForSure++;
        }
        if (kind == SequenceKind.VIEW_RELEASED) {
            long from = random.nextLong(size);
            return calls.view(kind, block.address() + from, random.nextLong(size - from + 1), block);
        }
        return free(kind, block, block.address(), block.size(), block.segment());
    }

    /** {@link SequenceWrongCalls#expect} of {@code freeAddress(address, size)}, or of {@code free(segment)} when given one. */
    private boolean free(SequenceKind kind, Block block, long address, long size, MemorySegment segment) {
        // A slice or a forged segment freed by address would be another kind (or a right call).
        boolean bySegment = segment != null && (kind == SequenceKind.FREE_SLICE || kind == SequenceKind.FREE_FORGED
                || random.nextInt(4) != 0);
        String what = (bySegment ? "free(" + segment + ")" : "freeAddress(0x" + Long.toHexString(address) + ", " + size
                + ")") + " for " + block;
        return calls.onApi(kind, what, address, api -> {
            if (bySegment) {
                api.free(segment);
            } else {
                api.freeAddress(address, size);
            }
            return null;
        });
    }

    /**
     * A random live block, large or not, that a view of {@code minBytes} from its start fits
     * (a class block's size, a large block's request); a large one is made if none is found.
     */
    private Block live(boolean large, long minBytes) {
        for (int attempt = 0; attempt < 16 && !run.liveList.isEmpty(); attempt++) {
            Block block = run.liveList.get(random.nextInt(run.liveList.size()));
            if (block.large() == large && block.viewLimit() >= minBytes) {
                return block;
            }
        }
        return large ? run.allocateMakingRoom(SizeClasses.MAX_SIZE + 1 + random.nextInt(2 << 20), random.nextBoolean(),
                run.randomRoute()) : null;
    }

    /** A class block known free at its class's block start: freed in this epoch, or freed now. */
    private Block freedSmall(long minFootprint) {
        if (random.nextBoolean()) {
            for (Block block : run.recentlyFreed) {
                Block current = run.freedThisEpoch.get(block.address());
                if (current != null && current.footprint() >= minFootprint && random.nextInt(4) == 0) {
                    return current;
                }
            }
        }
        Block block = live(false, minFootprint);
        if (block != null) {
            run.free(block);
        }
        return block;
    }

    /** Whether a live block overlaps {@code [address, address + length)}: the OS may map a new span over a freed one. */
    private boolean coveredByLive(long address, long length) {
        java.util.Map.Entry<Long, Block> below = run.live.lowerEntry(address + length);
        return below != null && below.getKey() + below.getValue().footprint() > address;
    }

    /** A large block freed before (no live block overlaps it since), or freed now. */
    private Block freedLarge() {
        for (Block block : run.recentlyFreed) {
            if (block.large() && !coveredByLive(block.address(), block.footprint()) && random.nextBoolean()) {
                return block;
            }
        }
        Block block = live(true, 0);
        if (block != null) {
            run.free(block);
        }
        return block;
    }
}
