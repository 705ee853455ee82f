package io.segpool.allocator;

import io.segpool.allocator.SequenceRun.Block;
import io.segpool.allocator.SequenceThreads.Outcome;
import io.segpool.allocator.SequenceThreads.Route;
import io.segpool.stats.MemStats;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random call sequences on one allocator, checked after every step against a model: the live
 * blocks with their sizes ({@link SequenceRun}). {@code Inuse} must equal the model's sum of class
 * sizes (small blocks) and rounded mappings (large blocks), {@code Mallocs} and {@code Frees} its
 * counts, {@code Sys} must be conserved, no two live blocks may overlap, and every byte of every
 * live block, down to blocks of one byte, must keep the stamp written at its allocation
 * ({@link SequenceStamps}). The calls run on the test thread through the allocator and through its
 * held {@link ThreadCache}, on a second platform thread, and on virtual threads through
 * {@code borrowCache()}; blocks allocated on one are freed on another.
 *
 * <p>One step in nine is a wrong call ({@link SequenceKind}: interiors at every 16-byte step,
 * neighbours, smaller and larger sizes, double frees, released chunks, addresses in no chunk,
 * foreign and closed segments, bad views, caches on the wrong thread, ...), made on any of those
 * threads. Each must throw the exception the README's table names and leave MemStats equal;
 * every kind must be tried and refused at least {@link #MIN_PER_KIND} times in every seed (the
 * large-interior kind once under the memory limit, which refuses most large blocks), and
 * wrong calls must come from each thread. After the last step the allocator is closed and every
 * call must be refused as closed.
 *
 * <p>Seeds take turns at four set-ups: plain; debug mode; a 32 MiB memory limit; and an OS that
 * refuses one mapping in eight. A failure names its seed, step and call; to replay one, run its
 * invocation alone (or set {@link #FIRST_SEED} to it and {@link #SEEDS} to 1).
 * {@code -Dsegpool.model.skip=KIND,...} leaves kinds out, to see what else fails while one is
 * known to (a diagnostic; CI never sets it).
 */
class AllocatorModelTest {

    private static final long FIRST_SEED = 1;
    private static final int SEEDS = 20;
    private static final int STEPS = 20_000;
    /** Tries (and refusals) of each kind of wrong call in every seed, at least. */
    static final int MIN_PER_KIND = 3;
    /** Wrong calls from each route, and right calls on each, in every seed, at least. */
    private static final int MIN_PER_ROUTE = 100;

    static LongStream seeds() {
        return LongStream.range(FIRST_SEED, FIRST_SEED + SEEDS);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void randomCallsMatchTheModel(long seed) {
        SequenceRun run = new SequenceRun(seed);
        SequenceWrongCalls wrong = new SequenceWrongCalls(run);
        try {
            steps(run, wrong);
            closeAndExpectRefusals(run);
        } catch (Throwable e) {
            throw new AssertionError("seed " + seed + " (" + run.setup + "), step " + run.step + ": "
                    + (e instanceof AssertionError ? e.getMessage() : "op " + run.op + ": " + e), e);
        } finally {
            wrong.close();
            run.close();
        }
        System.out.printf("allocator model: seed %d (%s) ran %,d steps: %,d allocations, %,d frees, %,d wrong calls"
                        + " refused (main %,d, main cache %,d, helper %,d, virtual %,d), %,d requests refused for"
                        + " memory, %d trims, %d epochs; rarest kind %s%n", seed, run.setup, STEPS, run.mallocs, run.frees,
                wrong.total(), wrong.byRoute[0], wrong.byRoute[1], wrong.byRoute[2], wrong.byRoute[3],
                run.memoryRefusals, run.trims, run.epochs, wrong.rarest());
        // Under the 32 MiB limit most large requests are refused, and a live large block (what the
        // large-interior kind needs) is rare and timing-dependent (2 to 8 tries in runs of one
        // seed): there it must be tried at least once; every other kind and set-up, MIN_PER_KIND.
        String rare = wrong.below(MIN_PER_KIND, run.limit != 0 ? java.util.Set.of(SequenceKind.FREE_INTERIOR_LARGE) : java.util.Set.of());
        assertTrue(rare.isEmpty(), "seed " + seed + ": kinds of wrong call tried or refused too seldom: " + rare);
        for (Route route : Route.values()) {
            assertTrue(wrong.byRoute[route.ordinal()] >= MIN_PER_ROUTE,
                    "seed " + seed + ": only " + wrong.byRoute[route.ordinal()] + " wrong calls on " + route);
            assertTrue(run.rightCallsByRoute[route.ordinal()] >= MIN_PER_ROUTE,
                    "seed " + seed + ": only " + run.rightCallsByRoute[route.ordinal()] + " right calls on " + route);
        }
        long released = wrong.tried[SequenceKind.FREE_RELEASED.ordinal()] + wrong.tried[SequenceKind.VIEW_RELEASED.ordinal()];
        assertTrue(wrong.releasedForSure() * 2 >= released, "seed " + seed + ": of " + released
                + " blocks trimmed on purpose only " + wrong.releasedForSure() + " had their chunk released");
    }

    private static void steps(SequenceRun run, SequenceWrongCalls wrong) {
        for (run.step = 0; run.step < STEPS; run.step++) {
            int dice = run.random.nextInt(100);
            if (dice < 47 && run.liveList.size() < SequenceRun.MAX_LIVE || run.liveList.isEmpty()) {
                run.allocate();
            } else if (dice < 84) {
                run.free(run.liveList.get(run.random.nextInt(run.liveList.size())));
            } else if (dice < 85) {
                run.trim();
            } else if (dice < 86) {
                run.flush();
            } else if (dice < 89) {
                run.viewInside();
            } else {
                wrong.make();
            }
            run.check();
        }
        run.op = "the last check of every live block's stamp";
        run.liveList.forEach(run::checkStamp);
    }

    /**
     * Closes the allocator with blocks still live: afterwards every call is refused with
     * IllegalStateException naming the close, through the allocator and through a held cache, on
     * the test thread and the helper; a view either is refused or is a segment that refuses
     * access, so no call reaches unmapped memory.
     */
    private static void closeAndExpectRefusals(SequenceRun run) {
        Block block = run.liveList.isEmpty() ? null : run.liveList.getFirst();
        NativeAllocator allocator = run.allocator;
        ThreadCache cache = run.threads.mainCache();
        run.op = "close";
        allocator.close();
        List<Supplier<Object>> calls = new java.util.ArrayList<>(List.of(
                () -> allocator.allocate(64), () -> allocator.allocate(64, 64), () -> allocator.allocateAddress(64),
                () -> allocator.allocate(SizeClasses.MAX_SIZE + 1), allocator::trim, allocator::threadCache,
                allocator::borrowCache, () -> {
                    allocator.readMemStats(new MemStats());
                    return null;
                }, () -> cache.allocate(64), () -> cache.allocateAddress(64), cache::flush,
                () -> run.threads.onHelper(() -> allocator.allocateAddress(64))));
        if (block != null) {
            calls.add(() -> {
                allocator.freeAddress(block.address(), block.size());
                return null;
            });
            calls.add(() -> {
                cache.freeAddress(block.address(), block.size());
                return null;
            });
        }
        for (int i = 0; i < calls.size(); i++) {
            run.op = "call " + i + " after close";
            Outcome<Object> outcome = SequenceThreads.capture(calls.get(i));
            assertInstanceOf(IllegalStateException.class, outcome.thrown(), run.op + " returned " + outcome.value());
            assertTrue(outcome.thrown().getMessage().contains("closed"), outcome.thrown().getMessage());
        }
        if (block != null) {
            run.op = "segment() after close";
            Outcome<MemorySegment> view = SequenceThreads.capture(() -> allocator.segment(block.address(), block.size()));
            if (view.thrown() == null && block.size() > 0) {
                Outcome<Object> touch = SequenceThreads.capture(() -> view.value().get(ValueLayout.JAVA_BYTE, 0));
                assertInstanceOf(IllegalStateException.class, touch.thrown(), "a view made after close reads "
                        + touch.value());
            } else if (view.thrown() != null) {
                assertInstanceOf(IllegalStateException.class, view.thrown());
            }
        }
        assertEquals(false, allocator.isOpen());
    }
}
