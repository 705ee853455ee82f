package io.segpool.allocator;

import io.segpool.allocator.ModelRun.Handle;
import io.segpool.allocator.ModelWorkers.Outcome;
import io.segpool.stats.MemStats;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.segpool.allocator.ModelExpect.ISE;
import static io.segpool.allocator.ModelExpect.WRONG_THREAD;
import static io.segpool.allocator.ModelStep.pick;

/**
 * The steps that use the API as it is meant to be used, and the cache and lifecycle calls:
 * allocations of every shape, frees of live blocks (from any thread, by segment, by address, by a
 * view, through a cache), trim, flush, threadCache, borrowCache and its close, readMemStats,
 * close, and touching a block's segment. The wrong calls are in {@link ModelWrongCalls}.
 */
final class ModelActions {

    /** Request sizes: the first ones (what a shrunk step picks) are classes that share 64-byte state windows. */
    static final long[] SIZES = {64, 80, 16, 48, 0, 1, 7, 8, 17, 32, 49, 63, 65, 96, 112, 144, 128, 160, 256, 500, 1024,
        1025, 4096, 4097, 8192, 65536, 65537, 262144, 1 << 20, (1 << 20) + 1, 1_500_000, 2 << 20, 3_000_000};
    static final long[] ALIGNMENTS = {16, 64, 1, 8, 32, 128, 256, 4096, 65536, 131072, 1 << 20};

    private ModelActions() {
    }

    static void run(ModelRun run, ModelStep step) {
        switch (step.kind()) {
            case ALLOCATE -> allocate(run, step, step.b() % 6);
            case ALLOCATE_BURST -> {
                for (int i = 0; i < 2 + step.b() % 4; i++) {
                    allocate(run, step, step.c() % 2);
                }
            }
            case FREE -> free(run, step);
            case TRIM -> trim(run, step.worker());
            case FLUSH -> {
                Handle handle = ownOrOther(run, step.worker(), step.d());
                run.call(step.worker(), handle + ".flush()", viaHandle(run, handle, step.worker(),
                        ModelExpect.accept("flush")), true, handle.cache::flush);
            }
            case THREAD_CACHE -> threadCache(run, step.worker());
            case BORROW -> borrow(run, step.worker());
            case CLOSE_CACHE -> closeCache(run, step.worker(), run.handle(step.a()));
            case READ_STATS -> readStats(run, step.worker());
            case CLOSE -> {
                run.callAnyTime(step.worker(), "allocator.close()", ModelExpect.accept("close (idempotent)"), true,
                        () -> {
                            run.allocator.close();
                            return null;
                        });
                run.closed = true;
            }
            case TOUCH -> touch(run, step);
            case FREE_INTERIOR, FREE_WRONG_SIZE, FREE_NEIGHBOUR, FREE_STALE, FREE_SLICE, VIEW -> {
                if (run.checked) {
                    ModelWrongCalls.run(run, step);
                } else {
                    free(run, step);
                }
            }
            default -> ModelWrongCalls.run(run, step);
        }
    }

    /** The worker's own cache ({@code choice} 0, what shrinking picks), else any handle the model knows. */
    static Handle ownOrOther(ModelRun run, int worker, int choice) {
        return choice == 0 ? run.handles.get(worker) : run.handle(choice);
    }

    /** The rule of a call through {@code handle} from {@code worker}: the owner check, then {@code op}'s own rule. */
    static ModelExpect viaHandle(ModelRun run, Handle handle, int worker, ModelExpect op) {
        if (handle.stripe && handle.depth <= 0) {
            return ModelExpect.refuse(handle + " used after its borrow was closed", ISE);
        }
        if (handle.stripe ? !run.workers.isVirtual(worker) : handle.owner != worker) {
            return ModelExpect.refuse(handle + " used by w" + worker, WRONG_THREAD);
        }
        return op;
    }

    /** Allocates with API {@code api}: 0-2 on the allocator (size; address; aligned), 3-5 the same on a cache. */
    static void allocate(ModelRun run, ModelStep step, int api) {
        long size = pick(SIZES, step.a());
        boolean aligned = api % 3 == 2;
        long alignment = aligned ? pick(ALIGNMENTS, step.c()) : 0;
        Handle handle = api >= 3 ? ownOrOther(run, step.worker(), step.d()) : null;
        ModelExpect expect = ModelHeap.allocate(size, alignment, aligned);
        String args = size + (aligned ? ", " + alignment : "");
        String what;
        java.util.concurrent.Callable<?> call;
        if (handle == null) {
            NativeAllocator a = run.allocator;
            what = "allocator." + (api == 1 ? "allocateAddress(" : "allocate(") + args + ")";
            call = api == 0 ? () -> a.allocate(size) : api == 1 ? () -> a.allocateAddress(size) : () -> a.allocate(size, alignment);
        } else {
            ThreadCache c = handle.cache;
            expect = viaHandle(run, handle, step.worker(), expect);
            what = handle + "." + (api == 4 ? "allocateAddress(" : "allocate(") + args + ")";
            call = api == 3 ? () -> c.allocate(size) : api == 4 ? () -> c.allocateAddress(size) : () -> c.allocate(size, alignment);
        }
        Outcome outcome = run.call(step.worker(), what, expect, true, call);
        if (outcome.accepted()) {
            handedOut(run, outcome.value(), size, aligned ? alignment : 0);
        }
    }

    /** Enters a block handed out into the model and stamps it. */
    static void handedOut(ModelRun run, Object value, long size, long alignment) {
        MemorySegment segment = value instanceof MemorySegment s ? s : null;
        long address = segment != null ? segment.address() : (Long) value;
        long extent = ModelHeap.classExtent(size, alignment);
        boolean large = extent < 0;
        if (large) {
            extent = ModelHeap.spanLength(size);
            if (size > NativeAllocator.MAX_CLASS_SIZE && NativeAllocator.blockSize(size) != extent) {
                throw run.broken("the model's span length is blockSize", size + ": " + extent + " vs "
                        + NativeAllocator.blockSize(size));
            }
        }
        int id = run.nextId++;
        ModelBlock block = new ModelBlock(id, address, size, extent, alignment, large,
                large ? run.heap.spanFor(address, extent) : -1, large ? -1 : run.classRow(extent), segment,
                (id * 1_048_573L) % (4L << 20));
        run.trace.add("      = " + block);
        run.oracle.handedOut(block, segment != null ? segment.byteSize() : size);
    }

    /** Frees a live block correctly, by one of five ways, from whichever worker the step names. */
    private static void free(ModelRun run, ModelStep step) {
        ModelBlock block = run.liveBlock(step.a());
        if (block == null) {
            allocate(run, step, 0);
            return;
        }
        int way = step.b() % 5;
        Handle handle = ownOrOther(run, step.worker(), step.d());
        ModelBlock.Tagged tagged = run.segmentOf(block);
        MemorySegment segment = tagged.segment();
        NativeAllocator a = run.allocator;
        switch (way) {
            case 0 -> run.call(step.worker(), "allocator.free(" + block + ")", run.heap.free(tagged), true, () -> {
                a.free(segment);
                return null;
            });
            case 1 -> run.call(step.worker(), "allocator.freeAddress(" + block + ")",
                    run.heap.freeAddress(block.address, block.size, ModelExpect.refused("unknown")), true, () -> {
                        a.freeAddress(block.address, block.size);
                        return null;
                    });
            case 2 -> run.call(step.worker(), "allocator.free(allocator.segment(" + block + "))", run.heap.free(tagged),
                    true, () -> {
                        a.free(a.segment(block.address, block.size));
                        return null;
                    });
            case 3 -> run.call(step.worker(), handle + ".free(" + block + ")",
                    viaHandle(run, handle, step.worker(), run.heap.free(tagged)), true, () -> {
                        handle.cache.free(segment);
                        return null;
                    });
            default -> run.call(step.worker(), handle + ".freeAddress(" + block + ")",
                    viaHandle(run, handle, step.worker(), run.heap.freeAddress(block.address, block.size, ModelExpect.refused("unknown"))), true,
                    () -> {
                        handle.cache.freeAddress(block.address, block.size);
                        return null;
                    });
        }
    }

    /** trim(): accepted, and it gave back what it says (released chunk pages plus unmapped spans). */
    private static void trim(ModelRun run, int worker) {
        MemStats before = run.closed ? null : TestSupport.stats(run.allocator);
        Outcome outcome = run.call(worker, "allocator.trim()", ModelExpect.accept("trim"), true, run.allocator::trim);
        if (!outcome.accepted()) {
            return;
        }
        run.heap.trimmed();
        MemStats after = TestSupport.stats(run.allocator);
        long unmapped = before.sys() - after.sys();
        if (unmapped < 0 || (Long) outcome.value() != after.released() - before.released() + unmapped) {
            throw run.broken("trim() returns the bytes it gave back", outcome.value() + " returned; before\n" + before
                    + "\nafter\n" + after);
        }
    }

    private static void threadCache(ModelRun run, int worker) {
        boolean virtual = run.workers.isVirtual(worker);
        ModelExpect expect = virtual ? ModelExpect.refuse("threadCache() on a virtual thread", ISE)
                : ModelExpect.accept("the platform thread's own cache");
        Outcome outcome = run.call(worker, "allocator.threadCache()", expect, false, run.allocator::threadCache);
        if (outcome.accepted() && outcome.value() != run.handles.get(worker).cache) {
            throw run.broken("threadCache() is the thread's one cache", "w" + worker + " got another object");
        }
    }

    private static void borrow(ModelRun run, int worker) {
        Outcome outcome = run.call(worker, "allocator.borrowCache()", ModelExpect.accept("borrow"), false,
                run.allocator::borrowCache);
        if (!outcome.accepted()) {
            return;
        }
        ThreadCache cache = (ThreadCache) outcome.value();
        if (!run.workers.isVirtual(worker)) {
            if (cache != run.handles.get(worker).cache) {
                throw run.broken("a platform thread borrows its own cache", "w" + worker + " got another object");
            }
            return;
        }
        for (Handle handle : run.handles) {
            if (handle.cache == cache) {
                handle.depth++;
                return;
            }
            if (handle.stripe && handle.depth > 0) {
                throw run.broken("a thread that borrows again gets the stripe it holds", "w" + worker);
            }
        }
        Handle stripe = new Handle(cache, worker, true);
        stripe.depth = 1;
        run.handles.add(stripe);
    }

    private static void closeCache(ModelRun run, int worker, Handle handle) {
        ModelExpect expect = !handle.stripe ? ModelExpect.accept("closing a platform thread's cache does nothing")
                : handle.depth == 0 && !heldByAnother(run, handle)
                ? ModelExpect.accept("closing a borrow that was given back does nothing")
                : handle.depth == 0 ? ModelExpect.refuse(handle + " is held by another borrower", WRONG_THREAD)
                : viaHandle(run, handle, worker, ModelExpect.accept("end of the borrow"));
        Outcome outcome = run.callAnyTime(worker, handle + ".close()", expect, false, () -> {
            handle.cache.close();
            return null;
        });
        if (outcome.accepted() && handle.stripe && handle.depth > 0) {
            handle.depth--;
        }
    }

    /** Whether another handle the model knows holds the same stripe in an open borrow. */
    private static boolean heldByAnother(ModelRun run, Handle handle) {
        for (Handle other : run.handles) {
            if (other != handle && other.cache == handle.cache && other.depth > 0) {
                return true;
            }
        }
        return false;
    }

    private static void readStats(ModelRun run, int worker) {
        MemStats stats = new MemStats();
        Outcome outcome = run.call(worker, "allocator.readMemStats()", ModelExpect.accept("read"), false, () -> {
            run.allocator.readMemStats(stats);
            return null;
        });
        if (outcome.accepted() && (stats.inuse() != run.heap.inuse || stats.mallocs() != run.heap.mallocs)) {
            throw run.broken("readMemStats on any thread reads the model's figures", stats.toString());
        }
    }

    /** Reads a block's first byte through its segment: it must read (the stamp), or throw once the memory is gone. */
    private static void touch(ModelRun run, ModelStep step) {
        ModelBlock block = step.b() % 2 == 0 ? run.liveBlock(step.a()) : run.staleBlock(step.a());
        if (block == null || block.segment == null || block.size == 0) {
            trim(run, step.worker());
            return;
        }
        boolean live = run.heap.live.get(block.address) == block;
        boolean gone = block.large && !live && run.heap.unmapped(block.span);
        ModelExpect expect = gone ? ModelExpect.refuse("a segment of an unmapped span", ISE)
                : ModelExpect.accept("a segment of mapped memory reads");
        Outcome outcome = run.call(step.worker(), "read byte 0 of " + (live ? "live " : "freed ") + block, expect, false,
                () -> block.segment.get(ValueLayout.JAVA_BYTE, 0));
        if (outcome.accepted() && live && (Byte) outcome.value() != run.pattern.get(ValueLayout.JAVA_BYTE, block.patternOffset)) {
            throw run.broken("a live block reads its stamp through its segment", block.toString());
        }
    }
}
