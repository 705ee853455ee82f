package io.segpool.allocator;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a sequence of {@link ModelStep}s on a fresh {@link ModelRun}, and cuts a failing sequence
 * down to a short one that fails the same way (the same {@link ModelFailure#signature}): first it
 * drops everything after the failing step, then removes runs of steps (halves, quarters, ... single
 * steps: delta debugging), then moves each parameter towards 0, repeating until nothing more can
 * be taken out or the budget of runs is spent. Each candidate runs on a new allocator, so a step
 * that only made sense after a removed one simply picks another target, or does nothing.
 */
final class ModelShrinker {

    /** What {@link #run} saw: the failure, if any, and the calls made, for the coverage the test asserts. */
    record Result(ModelFailure failure, long refused, long accepted, Map<ModelStep.Kind, Integer> kinds) {
    }

    private final int setup;
    private final int maxRuns;
    private int runs;

    ModelShrinker(int setup, int maxRuns) {
        this.setup = setup;
        this.maxRuns = maxRuns;
    }

    /** Runs {@code steps} on a fresh allocator in setup {@code setup}. */
    static Result run(int setup, List<ModelStep> steps) {
        Map<ModelStep.Kind, Integer> kinds = new EnumMap<>(ModelStep.Kind.class);
        ModelRun run = new ModelRun(setup);
        ModelFailure failure = null;
        try {
            for (int i = 0; i < steps.size(); i++) {
                run.step = steps.get(i);
                run.stepIndex = i;
                run.changed = false;
                try {
                    ModelActions.run(run, run.step);
                    run.oracle.afterStep(run.changed);
                } catch (ModelFailure f) {
                    throw f;
                } catch (RuntimeException | Error e) {
                    throw run.fail("the driver itself threw " + e, "driver threw " + e.getClass().getSimpleName(), e);
                }
                kinds.merge(run.step.kind(), 1, Integer::sum);
            }
        } catch (ModelFailure f) {
            failure = f;
        } finally {
            try {
                run.close();
            } catch (RuntimeException | Error e) {
                if (failure == null) {
                    run.step = null;
                    failure = run.fail("closing the run threw " + e, "close threw " + e.getClass().getSimpleName(), e);
                }
            }
        }
        return new Result(failure, run.refusedCalls, run.acceptedCalls, kinds);
    }

    /** The shortest sequence found that still fails as {@code failure} does, and that failure. */
    record Shrunk(List<ModelStep> steps, ModelFailure failure, int runs) {
    }

    Shrunk shrink(List<ModelStep> steps, ModelFailure failure) {
        List<ModelStep> best = new ArrayList<>(steps.subList(0, Math.min(steps.size(), failure.step + 1)));
        ModelFailure bestFailure = failure;
        boolean progress = true;
        while (progress && runs < maxRuns) {
            progress = false;
            for (int chunk = Math.max(1, best.size() / 2); chunk >= 1 && runs < maxRuns; chunk /= 2) {
                for (int start = 0; start < best.size() && runs < maxRuns; ) {
                    List<ModelStep> candidate = new ArrayList<>(best.subList(0, start));
                    candidate.addAll(best.subList(Math.min(best.size(), start + chunk), best.size()));
                    ModelFailure f = sameFailure(candidate, failure.signature);
                    if (f != null) {
                        best = new ArrayList<>(candidate.subList(0, Math.min(candidate.size(), f.step + 1)));
                        bestFailure = f;
                        progress = true;
                    } else {
                        start += chunk;
                    }
                }
            }
            for (int i = 0; i < best.size() && runs < maxRuns; i++) {
                for (int field = 0; field <= 4; field++) {
                    int value = best.get(i).field(field);
                    // Parameters index tables modulo their length: try the first entries, then halve.
                    for (int smaller : new int[] {0, 1, 2, 3, 4, 5, 6, 7, value / 2, value - 1}) {
                        if (smaller >= value || smaller < 0 || runs >= maxRuns) {
                            continue;
                        }
                        List<ModelStep> candidate = new ArrayList<>(best);
                        candidate.set(i, best.get(i).with(field, smaller));
                        ModelFailure f = sameFailure(candidate, failure.signature);
                        if (f != null) {
                            best = new ArrayList<>(candidate.subList(0, Math.min(candidate.size(), f.step + 1)));
                            bestFailure = f;
                            progress = true;
                            break;
                        }
                    }
                    if (i >= best.size()) {
                        break;
                    }
                }
            }
        }
        return new Shrunk(best, bestFailure, runs);
    }

    private ModelFailure sameFailure(List<ModelStep> candidate, String signature) {
        if (candidate.isEmpty()) {
            return null;
        }
        runs++;
        ModelFailure f = run(setup, candidate).failure();
        return f != null && f.signature.equals(signature) ? f : null;
    }
}
