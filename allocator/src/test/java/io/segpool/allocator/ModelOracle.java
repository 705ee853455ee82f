package io.segpool.allocator;

import io.segpool.stats.MemStats;

import java.lang.foreign.MemorySegment;

/**
 * The invariants checked after every step of a property run, and the checks of every block handed
 * out. After each step: MemStats' Inuse, Mallocs and Frees (in total and per class row) equal the
 * model's; {@code Sys == Inuse + Cached + Central + Released}; a step whose calls were all refused
 * (or only read) left MemStats exactly as they were; every live block can be viewed with
 * {@link NativeAllocator#segment} (so its address is mapped) and still holds its stamp on every
 * byte; the other allocator's blocks are untouched. Each new block: its size, its alignment, no
 * overlap with a live block, then its stamp.
 */
final class ModelOracle {

    private final ModelRun run;
    private final long[] classSizes;
    private final MemStats otherBefore;
    private MemStats last;

    ModelOracle(ModelRun run, MemStats first) {
        this.run = run;
        this.last = first;
        this.classSizes = new long[first.classCount()];
        for (int i = 0; i < classSizes.length; i++) {
            classSizes[i] = first.classSize(i);
        }
        MemorySegment.copy(run.pattern, 0, run.otherLarge, 0, run.otherLarge.byteSize());
        this.otherBefore = TestSupport.stats(run.other);
    }

    int classRow(long extent) {
        for (int i = 0; i < classSizes.length; i++) {
            if (classSizes[i] == extent) {
                return i;
            }
        }
        throw new AssertionError("no class of " + extent + " bytes");
    }

    /** Stamps a new block, after checking its size, alignment and that it overlaps no live block. */
    void handedOut(ModelBlock block, long returnedSize) {
        if (returnedSize != block.size) {
            throw run.broken("a block has the size asked for", block + " came as " + returnedSize + " bytes");
        }
        long alignment = Math.max(16, block.alignment);
        if ((block.address & (alignment - 1)) != 0) {
            throw run.broken("a block is aligned as asked", block + " is not " + alignment + "-byte aligned");
        }
        ModelBlock overlapped = run.heap.allocated(block);
        if (overlapped != null) {
            throw run.broken("no two live blocks overlap", block + " overlaps live " + overlapped);
        }
        MemorySegment view = view(block);
        MemorySegment.copy(run.pattern, block.patternOffset, view, 0, block.size);
    }

    /** Checks the stamp of a block about to be freed (it was checked after the last step, so this is a repeat). */
    void beforeFree(ModelBlock block) {
        verify(block);
    }

    /** Everything after a step; {@code changed}: an accepted call of the step changed the allocator's state. */
    void afterStep(boolean changed) {
        if (run.closed) {
            return;
        }
        MemStats now = TestSupport.stats(run.allocator);
        if (!changed && !now.equals(last)) {
            throw run.broken("a refused call (or a read) changes nothing", "MemStats before:\n" + last + "\nafter:\n" + now);
        }
        ModelHeap heap = run.heap;
        expect("Inuse", heap.inuse, now.inuse(), now);
        expect("Mallocs", heap.mallocs, now.mallocs(), now);
        expect("Frees", heap.frees, now.frees(), now);
        for (int i = 0; i < classSizes.length; i++) {
            expect("class " + classSizes[i] + " mallocs", heap.classMallocs[i], now.classMallocs(i), now);
            expect("class " + classSizes[i] + " frees", heap.classFrees[i], now.classFrees(i), now);
        }
        long sum = now.inuse() + now.cached() + now.central() + now.released();
        if (now.sys() != sum) {
            throw run.broken("Sys == Inuse + Cached + Central + Released", now.toString());
        }
        for (ModelBlock block : heap.live.values()) {
            verify(block);
        }
        if (run.otherBlock.mismatch(run.otherBlockCopy) != -1
                || MemorySegment.mismatch(run.otherLarge, 0, run.otherLarge.byteSize(), run.pattern, 0,
                run.otherLarge.byteSize()) != -1) {
            throw run.broken("another allocator's blocks are untouched", "a stamp of the other allocator changed");
        }
        if (!TestSupport.stats(run.other).equals(otherBefore)) {
            throw run.broken("another allocator's blocks are untouched", "its MemStats changed");
        }
        last = now;
    }

    private void expect(String figure, long model, long actual, MemStats stats) {
        if (model != actual) {
            throw run.broken(figure + " equals the model's", "model " + model + ", MemStats " + actual + "\n" + stats);
        }
    }

    /** The block's stamp, read through a fresh {@code segment(address, size)}: it must be mapped and intact. */
    private void verify(ModelBlock block) {
        MemorySegment view = view(block);
        long at = MemorySegment.mismatch(view, 0, block.size, run.pattern, block.patternOffset,
                block.patternOffset + block.size);
        if (at != -1) {
            throw run.broken("every byte of a live block keeps its stamp", block + " changed at byte " + at
                    + ": another owner wrote it");
        }
    }

    private MemorySegment view(ModelBlock block) {
        MemorySegment view;
        try {
            view = run.allocator.segment(block.address, block.size);
        } catch (RuntimeException e) {
            throw run.broken("every live block can be viewed (its memory is mapped)", block + ": " + e);
        }
        if (view.address() != block.address || view.byteSize() != block.size) {
            throw run.broken("segment(address, size) is that view", block + " viewed as " + view);
        }
        return view;
    }
}
