package io.segpool.allocator;

import io.segpool.allocator.ModelBlock.Origin;
import io.segpool.allocator.ModelBlock.Tagged;
import io.segpool.allocator.ModelRun.Handle;
import io.segpool.allocator.ModelWorkers.Outcome;

import java.lang.foreign.MemorySegment;

import static io.segpool.allocator.ModelActions.ownOrOther;
import static io.segpool.allocator.ModelActions.viaHandle;
import static io.segpool.allocator.ModelExpect.IAE;
import static io.segpool.allocator.ModelStep.pick;

/**
 * The generated wrong calls. Each takes its target from the model (a live block, a freed one,
 * another allocator's, an Arena's, an address in no chunk) and asks {@link ModelHeap} what the
 * call must do; the model, not the step, decides: an "interior" address that happens to be a
 * live block's start with its size is a correct free, and is accepted.
 */
final class ModelWrongCalls {

    /** Sizes a wrong free passes instead of the block's own (d picks; -2 and -3 are relative to the block). */
    private static final long[] WRONG_SIZES = {-2, -3, 0, -1, NativeAllocator.MAX_CLASS_SIZE + 1, Long.MAX_VALUE,
        Long.MIN_VALUE, 16, 64, 80, 1 << 20};
    private static final long[] VIEW_SIZES = {-2, 0, 1, -3, -4, 64, 80, -1, Long.MIN_VALUE, Long.MAX_VALUE, 1L << 30, 16};
    private static final long[] FAR_ADDRESSES = {0x1234_5670L, -16, Long.MAX_VALUE & -16, 16, 1L << 47, 0};
    private static final long[] BAD_SIZES = {-1, -16, Long.MIN_VALUE, NativeAllocator.MAX_BLOCK + 1, Long.MAX_VALUE,
        1L << 62, -(1L << 20), Long.MAX_VALUE - 7};
    private static final long[] BAD_ALIGNMENTS = {0, -1, -16, 3, 24, 48, 1L << 31, 1L << 40, Long.MIN_VALUE, 1L << 62};
    /** A heap offset far past anything a test carves, inside the 64 GiB reservation: never a chunk. */
    private static final long NEVER_CARVED = 32L << 30;

    private ModelWrongCalls() {
    }

    static void run(ModelRun run, ModelStep step) {
        ModelBlock block = run.liveBlock(step.a());
        switch (step.kind()) {
            case FREE_INTERIOR -> {
                if (block == null) {
                    ModelActions.allocate(run, step, 1);
                    return;
                }
                long offset = interior(block, step.b(), step.c() % 4 == 3);
                long size = step.d() % 3 == 0 ? block.size
                        : step.d() % 3 == 1 ? sizeOf(run, step.a() + 1) : Math.max(0, block.size - offset);
                freeAt(run, step, block.address + offset, size, step.c() % 3);
            }
            case FREE_WRONG_SIZE -> {
                if (block != null) {
                    freeAt(run, step, block.address, wrongSize(run, block, step), step.b() % 3);
                }
            }
            case FREE_NEIGHBOUR -> {
                if (block != null) {
                    long address = step.b() % 2 == 0 ? block.end() : block.address - block.extent;
                    freeAt(run, step, address, step.d() % 2 == 0 ? block.size : sizeOf(run, step.a() + 1), step.c() % 3);
                }
            }
            case FREE_STALE -> {
                ModelBlock gone = run.staleBlock(step.a());
                if (gone != null) {
                    if (step.b() % 2 == 1 && gone.segment != null) {
                        freeSegment(run, step, new Tagged(gone.segment, gone.large ? Origin.LARGE : Origin.CLASS,
                                gone.span, "freed " + gone));
                    } else {
                        freeAt(run, step, gone.address, gone.size, step.c() % 3 == 1 ? 2 : 0);
                    }
                }
            }
            case FREE_FOREIGN -> foreign(run, step, block);
            case FREE_SLICE -> {
                if (block != null) {
                    freeSegment(run, step, slice(run, block, step));
                }
            }
            case VIEW -> view(run, step, block);
            case ALLOCATE_WRONG -> allocateWrong(run, step);
            default -> throw new IllegalArgumentException(step.toString());
        }
    }

    /** A 16-byte step inside the block (every one of them, as {@code p} varies), or an odd offset. */
    private static long interior(ModelBlock block, int p, boolean odd) {
        if (block.large) {
            return pick(new long[] {16, 4096, 64 * 1024, block.extent - 16, 1 + p % 15}, p);
        }
        long steps = block.extent / 16 - 1;
        return odd || steps < 1 ? 1 + p % 15 : 16 * (1 + p % steps);
    }

    private static long sizeOf(ModelRun run, int index) {
        ModelBlock other = run.liveBlock(index);
        return other == null ? 64 : other.size;
    }

    private static long wrongSize(ModelRun run, ModelBlock block, ModelStep step) {
        long size = pick(WRONG_SIZES, step.d());
        return size == -2 ? sizeOf(run, step.a() + 1 + step.c()) : size == -3 ? block.size + (step.c() % 2 == 0 ? 1 : -1)
                : size;
    }

    /**
     * Frees {@code size} bytes at {@code address} the {@code way} the step says: 0 by address on
     * the allocator, 1 through a view ({@code free(segment(address, size))}, the view checked
     * first), 2 by address through a cache.
     */
    private static void freeAt(ModelRun run, ModelStep step, long address, long size, int way) {
        String at = "0x" + Long.toHexString(address) + ", " + size;
        ModelExpect rule = run.heap.freeAddress(address, size, ModelExpect.refused("an address the model never handed out"));
        if (way == 1) {
            Outcome view = run.call(step.worker(), "allocator.segment(" + at + ")", run.heap.view(address, size), false,
                    () -> run.allocator.segment(address, size));
            ModelBlock holder = view.accepted() ? run.heap.covering(address) : null;
            if (holder != null) { // (an accepted view with no holder is the empty view at a block's end)
                freeSegment(run, step, new Tagged((MemorySegment) view.value(),
                        holder.large ? Origin.LARGE : Origin.CLASS, holder.span, "a view inside " + holder));
            }
            return;
        }
        if (way == 2) {
            Handle handle = ownOrOther(run, step.worker(), step.d() % 2);
            run.call(step.worker(), handle + ".freeAddress(" + at + ")", viaHandle(run, handle, step.worker(), rule), true,
                    () -> {
                        handle.cache.freeAddress(address, size);
                        return null;
                    });
            return;
        }
        run.call(step.worker(), "allocator.freeAddress(" + at + ")", rule, true, () -> {
            run.allocator.freeAddress(address, size);
            return null;
        });
    }

    private static void freeSegment(ModelRun run, ModelStep step, Tagged tagged) {
        MemorySegment segment = tagged.segment();
        String what = tagged.what() + " = 0x" + Long.toHexString(segment.address()) + " (" + segment.byteSize() + " B)";
        if (step.d() % 4 == 3) {
            Handle handle = ownOrOther(run, step.worker(), 0);
            run.call(step.worker(), handle + ".free(" + what + ")", viaHandle(run, handle, step.worker(),
                    run.heap.free(tagged)), true, () -> {
                        handle.cache.free(segment);
                        return null;
                    });
            return;
        }
        run.call(step.worker(), "allocator.free(" + what + ")", run.heap.free(tagged), true, () -> {
            run.allocator.free(segment);
            return null;
        });
    }

    @SuppressWarnings("restricted") // forged segments are wrong calls to make
    private static void foreign(ModelRun run, ModelStep step, ModelBlock block) {
        ModelExpect notOurs = ModelExpect.refuse("not this allocator's", IAE);
        int kind = step.b() % 14;
        MemorySegment other = run.otherBlock;
        switch (kind) {
            case 0 -> freeSegment(run, step, new Tagged(other, Origin.FOREIGN, -1, "another allocator's block"));
            case 1 -> freeSegment(run, step, new Tagged(run.otherLarge, Origin.FOREIGN, -1, "another allocator's large block"));
            case 2 -> freeSegment(run, step, new Tagged(run.arenaBlock, Origin.FOREIGN, -1, "a live Arena's segment"));
            case 3 -> freeSegment(run, step, new Tagged(run.closedArenaBlock, Origin.FOREIGN, -1, "a closed Arena's segment"));
            case 4 -> freeSegment(run, step, new Tagged(MemorySegment.ofArray(new byte[16 + step.c() % 64]), Origin.HEAP, -1,
                    "a heap segment"));
            case 5, 6 -> {
                if (block == null) {
                    freeSegment(run, step, new Tagged(MemorySegment.NULL, Origin.FOREIGN, -1, "MemorySegment.NULL"));
                } else {
                    MemorySegment forged = kind == 5 ? MemorySegment.ofAddress(block.address).reinterpret(block.size)
                            : MemorySegment.ofAddress(block.address);
                    freeSegment(run, step, new Tagged(forged, Origin.FOREIGN, -1, "MemorySegment.ofAddress over " + block));
                }
            }
            case 7 -> {
                ModelBlock gone = run.staleBlock(step.a());
                long address = gone == null ? 0x1234_5670L : gone.address;
                freeSegment(run, step, new Tagged(MemorySegment.ofAddress(address).reinterpret(64), Origin.FOREIGN, -1,
                        "MemorySegment.ofAddress over " + (gone == null ? "nothing" : "freed " + gone)));
            }
            case 8 -> freeAt(run, step, other.address(), other.byteSize(), step.c() % 2 * 2, notOurs);
            case 9 -> freeAt(run, step, run.otherLarge.address(), run.otherLarge.byteSize(), step.c() % 2 * 2, notOurs);
            case 10 -> freeAt(run, step, run.arenaBlock.address(), 64, step.c() % 2 * 2, notOurs);
            case 11 -> freeAt(run, step, pick(FAR_ADDRESSES, step.c()), 64, 0, notOurs);
            default -> {
                if (block != null && !block.large) {
                    freeAt(run, step, block.address + NEVER_CARVED, block.size, step.c() % 2 * 2, notOurs);
                } else {
                    freeAt(run, step, pick(FAR_ADDRESSES, step.c()), 16, 2, notOurs);
                }
            }
        }
    }

    /** {@link #freeAt} for an address the model knows is in no chunk of this allocator. */
    private static void freeAt(ModelRun run, ModelStep step, long address, long size, int way, ModelExpect unknown) {
        ModelExpect rule = run.heap.freeAddress(address, size, unknown);
        Handle handle = way == 2 ? ownOrOther(run, step.worker(), 0) : null;
        run.call(step.worker(), (handle == null ? "allocator" : handle.toString()) + ".freeAddress(0x"
                        + Long.toHexString(address) + ", " + size + ")",
                handle == null ? rule : viaHandle(run, handle, step.worker(), rule), true, () -> {
                    if (handle == null) {
                        run.allocator.freeAddress(address, size);
                    } else {
                        handle.cache.freeAddress(address, size);
                    }
                    return null;
                });
    }

    /** A slice, a shorter or longer view, or an odd or zero-length slice of a live block's segment. */
    @SuppressWarnings("restricted") // a longer view of a block, or a forged one after close()
    private static Tagged slice(ModelRun run, ModelBlock block, ModelStep step) {
        Tagged whole = run.segmentOf(block);
        // After close() the JDK refuses to slice or reinterpret a segment of the closed heap: an
        // equal forged segment stands in (the model's rule is the block's, and close() refuses all).
        MemorySegment segment = run.closed ? MemorySegment.ofAddress(block.address).reinterpret(block.size)
                : whole.segment();
        long size = block.size;
        long steps = Math.max(1, size / 16 - 1);
        MemorySegment slice = switch (step.b() % 6) {
            case 0 -> segment.asSlice(Math.min(size, 16 * (1 + step.c() % steps)));
            case 1 -> segment.asSlice(0, Math.max(0, size - 1 - step.c() % Math.max(1, size)));
            case 2 -> segment.reinterpret(size + 1 + step.c() % 64);
            case 3 -> segment.asSlice(Math.min(size, 1 + step.c() % 15));
            case 4 -> segment.asSlice(size);
            default -> segment.reinterpret(block.extent);
        };
        return new Tagged(slice, whole.origin(), whole.span(), "a slice of " + block);
    }

    /** segment(address, size) at a live block's start, inside it, at its end, before it; of a freed block; of no block. */
    private static void view(ModelRun run, ModelStep step, ModelBlock live) {
        int target = step.a() % 6;
        ModelBlock block = target < 3 ? live : target == 3 ? run.staleBlock(step.b()) : null;
        long base = target == 4 ? run.otherBlock.address() : target == 5 ? pick(FAR_ADDRESSES, step.b()) : 0;
        long extent = block == null ? 64 : block.extent;
        long offset = switch (step.c() % 6) {
            case 0 -> 0;
            case 1 -> 16 * (1 + step.c() / 6 % Math.max(1, extent / 16 - 1));
            case 2 -> 1 + step.c() / 6 % 15;
            case 3 -> extent;
            case 4 -> -16;
            default -> 64;
        };
        long address = (block == null ? base : block.address) + offset;
        long own = block == null ? 64 : block.size;
        long size = pick(VIEW_SIZES, step.d());
        size = size == -2 ? own : size == -3 ? extent - offset : size == -4 ? extent - offset + 1 : size;
        long n = size;
        Outcome outcome = run.call(step.worker(), "allocator.segment(0x" + Long.toHexString(address) + ", " + n + ")",
                run.heap.view(address, n), false, () -> run.allocator.segment(address, n));
        if (!outcome.accepted()) {
            return;
        }
        MemorySegment view = (MemorySegment) outcome.value();
        ModelBlock holder = run.heap.covering(address);
        if (view.address() != address || view.byteSize() != n) {
            throw run.broken("segment(address, size) is that view", view.toString());
        }
        if (holder == null) {
            return; // the empty view at a block's end: nothing to compare, nothing to free
        }
        long stamped = Math.min(n, Math.max(0, holder.address + holder.size - address));
        long from = holder.patternOffset + (address - holder.address);
        if (MemorySegment.mismatch(view, 0, stamped, run.pattern, from, from + stamped) != -1) {
            throw run.broken("a view shows the block's bytes", view + " of " + holder);
        }
        if (step.d() / 12 % 2 == 1) {
            freeSegment(run, step, new Tagged(view, holder.large ? Origin.LARGE : Origin.CLASS, holder.span,
                    "a view inside " + holder));
        }
    }

    private static void allocateWrong(ModelRun run, ModelStep step) {
        int api = step.b() % 6;
        long size = api == 2 || api == 5 ? pick(ModelActions.SIZES, step.d()) : pick(BAD_SIZES, step.c());
        long alignment = api == 2 || api == 5 ? pick(BAD_ALIGNMENTS, step.c()) : pick(new long[] {16, 1L << 30, 1 << 20}, step.d());
        boolean aligned = api == 2 || api == 3 || api == 5;
        ModelExpect rule = ModelHeap.allocate(size, alignment, aligned);
        Handle handle = api >= 4 ? ownOrOther(run, step.worker(), 0) : null;
        String what = (handle == null ? "allocator" : handle.toString()) + (api == 1 ? ".allocateAddress(" : ".allocate(")
                + size + (aligned ? ", " + alignment : "") + ")";
        Outcome outcome = run.call(step.worker(), what, handle == null ? rule : viaHandle(run, handle, step.worker(), rule),
                true, () -> switch (api) {
                    case 0 -> run.allocator.allocate(size);
                    case 1 -> run.allocator.allocateAddress(size);
                    case 2, 3 -> run.allocator.allocate(size, alignment);
                    case 4 -> handle.cache.allocate(size);
                    default -> handle.cache.allocate(size, alignment);
                });
        if (outcome.accepted()) {
            ModelActions.handedOut(run, outcome.value(), size, aligned ? alignment : 0);
        }
    }
}
