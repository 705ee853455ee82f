package io.segpool.allocator;

import io.segpool.allocator.ModelBlock.Origin;
import io.segpool.allocator.ModelBlock.Tagged;
import io.segpool.allocator.ModelWorkers.Outcome;
import io.segpool.stats.MemStats;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * One property run: a fresh allocator with its worker threads, the model that follows it, and the
 * things wrong calls are made with (another allocator's blocks, a live and a closed {@link Arena}'s
 * segments). {@link #call} makes one call on a worker and holds it to the model's
 * {@link ModelExpect}; {@link ModelOracle} checks the invariants after each step. The trace of
 * every call, with real addresses, goes into a failure's message.
 */
final class ModelRun implements AutoCloseable {

    /**
     * The run's configurations, by seed: the default, debug mode, a small large-span cache, and
     * free checks off (where only the calls whose refusal does not depend on the checks are made).
     */
    static final String[] SETUPS = {"default", "debug", "largeCacheBytes 2 MiB", "checkFrees off"};
    static final long PATTERN_BYTES = 8L << 20;

    /** A cache handle the model has seen, with whose it is and, for a stripe, how often it is borrowed. */
    static final class Handle {
        final ThreadCache cache;
        final int owner;
        final boolean stripe;
        int depth;

        Handle(ThreadCache cache, int owner, boolean stripe) {
            this.cache = cache;
            this.owner = owner;
            this.stripe = stripe;
        }

        @Override
        public String toString() {
            return (stripe ? "stripe of w" : "cache of w") + owner;
        }
    }

    /**
     * {@code -Dproperty.log=FILE}: every call is written there before it is made. A wrong call that
     * makes the allocator touch unmapped memory kills the JVM before any report: the file's last
     * lines name it (and the step that made it).
     */
    private static final java.io.PrintStream CALL_LOG = openLog(System.getProperty("property.log"));

    final String setup;
    /** False with free checks off: then no wrong free or view is made, since none is promised to be refused. */
    final boolean checked;
    final NativeAllocator allocator;
    final NativeAllocator other;
    final ModelWorkers workers = new ModelWorkers();
    final ModelHeap heap;
    final List<Handle> handles = new ArrayList<>();
    final List<String> trace = new ArrayList<>();
    final Arena arena = Arena.ofShared();
    final MemorySegment pattern;
    final MemorySegment arenaBlock;
    final MemorySegment closedArenaBlock;
    final MemorySegment otherBlock;
    final MemorySegment otherLarge;
    final MemorySegment otherBlockCopy;
    final ModelOracle oracle;
    boolean closed;
    int nextId;
    /** Refused and accepted calls, for the coverage the test asserts. */
    long refusedCalls;
    long acceptedCalls;
    /** The step now running, for messages. */
    ModelStep step;
    int stepIndex;
    /** Whether the current step made an accepted call that changes state (not a view, not a read). */
    boolean changed;

    ModelRun(int setupIndex) {
        setup = SETUPS[setupIndex % SETUPS.length];
        AllocatorConfig config = switch (setupIndex % SETUPS.length) {
            case 1 -> AllocatorConfig.defaults().withDebug(true);
            case 2 -> AllocatorConfig.defaults().withLargeCacheBytes(2L << 20);
            case 3 -> AllocatorConfig.defaults().withCheckFrees(false);
            default -> AllocatorConfig.defaults();
        };
        checked = config.checkFrees();
        allocator = NativeAllocator.create(config);
        other = NativeAllocator.create();
        pattern = arena.allocate(PATTERN_BYTES, 16);
        SplittableRandom bytes = new SplittableRandom(setupIndex);
        for (long i = 0; i < PATTERN_BYTES; i += 8) {
            pattern.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, i, bytes.nextLong());
        }
        arenaBlock = arena.allocate(64, 16);
        try (Arena gone = Arena.ofShared()) {
            closedArenaBlock = gone.allocate(64, 16);
        }
        otherBlock = other.allocate(64);
        otherLarge = other.allocate(NativeAllocator.MAX_CLASS_SIZE + 4096);
        otherBlock.copyFrom(pattern.asSlice(0, 64));
        otherBlockCopy = arena.allocate(64).copyFrom(otherBlock);
        for (int w = 0; w < ModelWorkers.COUNT; w++) {
            if (workers.isVirtual(w)) {
                ThreadCache stripe = (ThreadCache) workers.call(w, () -> {
                    ThreadCache borrowed = allocator.borrowCache();
                    borrowed.close();
                    return borrowed;
                }).value();
                handles.add(new Handle(stripe, w, true));
            } else {
                handles.add(new Handle((ThreadCache) workers.call(w, allocator::threadCache).value(), w, false));
            }
        }
        MemStats stats = TestSupport.stats(allocator);
        heap = new ModelHeap(config.largeCacheBytes(), stats.classCount());
        oracle = new ModelOracle(this, stats);
    }

    /** The MemStats class row whose block size is {@code extent}. */
    int classRow(long extent) {
        return oracle.classRow(extent);
    }

    /**
     * Calls {@code call} on {@code worker} and holds the outcome to {@code expect}; returns it. A
     * call the model accepts that throws, one it refuses that returns, or a refusal of another
     * type fails the run. {@code changes}: an accepted call changes the allocator's state.
     */
    Outcome call(int worker, String what, ModelExpect expect, boolean changes, Callable<?> call) {
        return callAnyTime(worker, what, closed ? expect.closed() : expect, changes, call);
    }

    /**
     * {@link #call} for the calls that {@code close()} does not refuse: {@code close()} itself
     * (idempotent) and a cache handle's {@code close()}. An accepted free that the model says frees
     * a live block takes it out of the model.
     */
    Outcome callAnyTime(int worker, String what, ModelExpect expected, boolean changes, Callable<?> call) {
        if (CALL_LOG != null) {
            CALL_LOG.println(setup + " #" + stepIndex + " " + step + " w" + worker + " " + what);
        }
        Outcome outcome = workers.call(worker, call);
        String result = outcome.accepted() ? "ok" + (outcome.value() == null ? "" : " " + describe(outcome.value()))
                : outcome.thrown().getClass().getSimpleName() + ": " + outcome.thrown().getMessage();
        trace.add("#" + stepIndex + " w" + worker + " " + what + " -> " + result + "   [model: " + expected + "]");
        if (expected.accept() && !outcome.accepted()) {
            throw fail(what + " was refused but the model accepts it (" + expected.rule() + ")",
                    "refused an accepted call: " + expected.rule() + " / " + outcome.thrown().getClass().getSimpleName(),
                    outcome.thrown());
        }
        if (!expected.accept() && outcome.accepted()) {
            throw fail(what + " was accepted but the model refuses it: " + expected, "accepted: " + expected.rule(), null);
        }
        if (!expected.accept() && !expected.allows(outcome.thrown())) {
            throw fail(what + " was refused with " + outcome.thrown() + " but the model says " + expected,
                    "refused with " + outcome.thrown().getClass().getSimpleName() + ", model " + expected, outcome.thrown());
        }
        if (outcome.accepted()) {
            acceptedCalls++;
            changed |= changes || expected.frees() != null;
            if (expected.frees() != null) {
                heap.freed(expected.frees());
            }
        } else {
            refusedCalls++;
        }
        return outcome;
    }

    private static String describe(Object value) {
        if (value instanceof MemorySegment segment) {
            return "segment 0x" + Long.toHexString(segment.address()) + " (" + segment.byteSize() + " B)";
        }
        if (value instanceof Long address) {
            return "0x" + Long.toHexString(address);
        }
        return value.toString();
    }

    /** A failure of the current step, with the whole trace. */
    ModelFailure fail(String message, String what, Throwable cause) {
        String signature = ModelFailure.normalize(step == null ? what : step.kind() + ": " + what);
        return new ModelFailure(signature, message + "\n  setup: " + setup + "\n  trace:\n    "
                + String.join("\n    ", trace), cause, stepIndex);
    }

    /** An invariant broken after a step; named by the invariant, not the step, since any step may cause it. */
    ModelFailure broken(String invariant, String detail) {
        return new ModelFailure(ModelFailure.normalize("invariant: " + invariant), "after step #" + stepIndex + " ("
                + step + "): " + invariant + ": " + detail + "\n  setup: " + setup + "\n  trace:\n    "
                + String.join("\n    ", trace), null, stepIndex);
    }

    /** A segment over a live block as the model holds it: the one allocate returned, else a fresh view. */
    @SuppressWarnings("restricted") // a forged segment stands in for a view after close()
    Tagged segmentOf(ModelBlock block) {
        MemorySegment segment = block.segment != null ? block.segment
                : closed ? MemorySegment.ofAddress(block.address).reinterpret(block.size) // no view after close
                : allocator.segment(block.address, block.size);
        return new Tagged(segment, block.large ? Origin.LARGE : Origin.CLASS, block.span, block.toString());
    }

    /**
     * The live block at {@code index} modulo their number, counting from the newest: a step's target
     * does not move when the shrinker removes an earlier step that allocated something else.
     */
    ModelBlock liveBlock(int index) {
        if (heap.live.isEmpty()) {
            return null;
        }
        List<ModelBlock> blocks = new ArrayList<>(heap.live.values());
        blocks.sort((x, y) -> Integer.compare(y.id, x.id));
        return blocks.get(index % blocks.size());
    }

    ModelBlock staleBlock(int index) {
        if (heap.stale.isEmpty()) {
            return null;
        }
        int i = index % heap.stale.size();
        for (ModelBlock block : heap.stale) {
            if (i-- == 0) {
                return block;
            }
        }
        throw new IllegalStateException();
    }

    Handle handle(int index) {
        return handles.get(index % handles.size());
    }

    private static java.io.PrintStream openLog(String path) {
        try {
            return path == null ? null : new java.io.PrintStream(new java.io.FileOutputStream(path), true);
        } catch (java.io.FileNotFoundException e) {
            throw new IllegalArgumentException("property.log " + path + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            workers.close();
        } finally {
            allocator.close();
            other.close();
            arena.close();
        }
    }
}
