package io.segpool.allocator;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A stateful property test of the allocator's whole public API against a model. Each try is a
 * generated sequence of steps ({@link ModelStep}): allocations of every shape, correct frees from
 * any of three real threads (two platform, one virtual), the cache API (threadCache, borrowCache
 * and its close, flush, calls through another thread's cache), trim, readMemStats, close, and
 * wrong calls: interior addresses at every 16-byte step and odd ones, neighbours, other sizes,
 * double frees, released and large-span addresses, addresses in no chunk, another allocator's
 * blocks, Arena and heap segments, forged segments, slices, views past a block, of a free block, at
 * interior addresses, with negative sizes, bad sizes and alignments. {@link ModelHeap} says what
 * each call must do, {@link ModelOracle} checks the invariants after every step, and a failure is
 * shrunk ({@link ModelShrinker}) to a short sequence, printed with its trace of real calls.
 *
 * <p>System properties: {@code property.tries} (default {@value #TRIES}, the fixed CI budget),
 * {@code property.steps} (longest sequence, default {@value #STEPS}), {@code property.seed}
 * (default random; a failure prints the seed that replays it with {@code -Dproperty.tries=1}),
 * {@code property.survey=true} (go on after a failure and report every distinct one),
 * {@code property.log=FILE} (every call written there before it is made, for a call that crashes
 * the JVM).
 */
class AllocatorPropertyTest {

    static final int TRIES = 200;
    static final int STEPS = 40;
    /** Runs the shrinker may spend on one failure. */
    private static final int SHRINK_RUNS = 600;
    private static final long SEED_STEP = 0x9E37_79B9_7F4A_7C15L;

    @Test
    void everyCallDoesWhatTheModelSaysAndNoInvariantBreaks() {
        int tries = Integer.getInteger("property.tries", TRIES);
        int steps = Integer.getInteger("property.steps", STEPS);
        long seed = Long.getLong("property.seed", ThreadLocalRandom.current().nextLong());
        boolean survey = Boolean.getBoolean("property.survey");
        // A generous bound that still ends a hung run: a call that hangs already fails after 20 s.
        Duration bound = Duration.ofSeconds(300 + 3L * tries);
        assertTimeoutPreemptively(bound, () -> check(tries, steps, seed, survey));
    }

    private static void check(int tries, int maxSteps, long seed, boolean survey) {
        Map<ModelStep.Kind, Integer> kinds = new EnumMap<>(ModelStep.Kind.class);
        Map<String, String> failures = new LinkedHashMap<>();
        long refused = 0;
        long accepted = 0;
        long stepsRun = 0;
        long started = System.nanoTime();
        for (int t = 0; t < tries; t++) {
            long trySeed = seed + t * SEED_STEP;
            int setup = (int) Math.floorMod(trySeed, (long) ModelRun.SETUPS.length);
            List<ModelStep> sequence = ModelStep.sequence(new SplittableRandom(trySeed), maxSteps);
            if (t % 10 == 9) {
                // close() is rare by design (it ends the interesting part of a run): every tenth try
                // closes half way, so that any budget calls the API after close.
                sequence = new java.util.ArrayList<>(sequence);
                sequence.add(sequence.size() / 2, new ModelStep(ModelStep.Kind.CLOSE, 0, 0, 0, 0, 0));
            }
            ModelShrinker.Result result = ModelShrinker.run(setup, sequence);
            refused += result.refused();
            accepted += result.accepted();
            result.kinds().forEach((kind, n) -> kinds.merge(kind, n, Integer::sum));
            for (int n : result.kinds().values()) {
                stepsRun += n;
            }
            if (result.failure() == null || failures.containsKey(result.failure().signature)) {
                continue;
            }
            ModelShrinker.Shrunk shrunk = new ModelShrinker(setup, SHRINK_RUNS).shrink(sequence, result.failure());
            String report = "try " + t + " (replay: -Dproperty.seed=" + trySeed + " -Dproperty.tries=1), setup "
                    + ModelRun.SETUPS[setup] + ": " + sequence.size() + " steps shrunk to " + shrunk.steps().size()
                    + " in " + shrunk.runs() + " runs\n  failure: " + shrunk.failure().signature
                    + "\n  shrunk sequence:\n    " + String.join(",\n    ", shrunk.steps().stream()
                    .map(ModelStep::toString).toList()) + "\n  " + shrunk.failure().getMessage();
            failures.put(result.failure().signature, report);
            System.out.println("allocator property FAILED, " + report);
            if (!survey) {
                fail(report, shrunk.failure());
            }
        }
        System.out.printf("allocator property: seed %d, %d tries, %,d steps, %,d calls accepted, %,d refused as the"
                        + " model says, %d distinct failures, %.1f s%n", seed, tries, stepsRun, accepted, refused,
                failures.size(), (System.nanoTime() - started) / 1e9);
        if (!failures.isEmpty()) {
            fail(failures.size() + " distinct failures (property.survey):\n\n" + String.join("\n\n", failures.values()));
        }
        // The budget must have exercised what it claims: every kind of step, and wrong calls refused.
        if (tries >= 100) {
            for (ModelStep.Kind kind : ModelStep.Kind.values()) {
                assertTrue(kinds.getOrDefault(kind, 0) > 0, kind + " never ran in " + tries + " tries");
            }
            assertTrue(refused >= tries, "only " + refused + " refused calls in " + tries + " tries");
            assertTrue(accepted >= tries, "only " + accepted + " accepted calls in " + tries + " tries");
        }
        assertEquals(0, failures.size());
    }
}
