package io.segpool.allocator;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One generated step of a property run: what to call ({@link Kind}), from which worker thread, and
 * four small non-negative parameters that pick the target, the variant and the sizes. A step is
 * plain data, resolved against the run's state only when it runs (a target index is taken modulo
 * the live blocks there are), so any subsequence of a failing sequence is still a valid sequence:
 * that is what lets {@link ModelShrinker} cut a failure down to its few steps, and shrink each
 * parameter towards 0, the simplest choice of each table.
 */
record ModelStep(Kind kind, int worker, int a, int b, int c, int d) {

    /** What a step calls, with how often the generator picks it. */
    enum Kind {
        ALLOCATE(20), ALLOCATE_BURST(6), FREE(14), FREE_INTERIOR(8), FREE_WRONG_SIZE(4), FREE_NEIGHBOUR(4),
        FREE_STALE(5), FREE_FOREIGN(5), FREE_SLICE(4), VIEW(9), ALLOCATE_WRONG(3), TRIM(3), FLUSH(3),
        THREAD_CACHE(2), BORROW(3), CLOSE_CACHE(3), READ_STATS(1), CLOSE(1), TOUCH(1);

        final int weight;

        Kind(int weight) {
            this.weight = weight;
        }
    }

    private static final int TOTAL_WEIGHT;

    static {
        int total = 0;
        for (Kind kind : Kind.values()) {
            total += kind.weight;
        }
        TOTAL_WEIGHT = total;
    }

    /** A sequence of up to {@code maxSteps} steps (at least one) from {@code random}. */
    static List<ModelStep> sequence(SplittableRandom random, int maxSteps) {
        int length = 1 + random.nextInt(maxSteps);
        List<ModelStep> steps = new ArrayList<>(length);
        for (int i = 0; i < length; i++) {
            steps.add(random(random));
        }
        return steps;
    }

    static ModelStep random(SplittableRandom random) {
        int pick = random.nextInt(TOTAL_WEIGHT);
        Kind kind = null;
        for (Kind k : Kind.values()) {
            pick -= k.weight;
            if (pick < 0) {
                kind = k;
                break;
            }
        }
        if (kind == Kind.CLOSE && random.nextInt(3) != 0) {
            kind = Kind.ALLOCATE; // close ends the interesting part of a run: rarer still
        }
        return new ModelStep(kind, random.nextInt(ModelWorkers.COUNT), param(random), param(random), param(random),
                param(random));
    }

    /** Small values most of the time (the first entries of each table), any of a few thousand otherwise. */
    private static int param(SplittableRandom random) {
        return random.nextInt(4) != 0 ? random.nextInt(16) : random.nextInt(4096);
    }

    /** Picks entry {@code p} (modulo its length) of a table. */
    static long pick(long[] table, int p) {
        return table[p % table.length];
    }

    /** This step with one field replaced, for shrinking: field 0 is the worker, 1-4 the parameters. */
    ModelStep with(int field, int value) {
        return switch (field) {
            case 0 -> new ModelStep(kind, value, a, b, c, d);
            case 1 -> new ModelStep(kind, worker, value, b, c, d);
            case 2 -> new ModelStep(kind, worker, a, value, c, d);
            case 3 -> new ModelStep(kind, worker, a, b, value, d);
            default -> new ModelStep(kind, worker, a, b, c, value);
        };
    }

    int field(int field) {
        return switch (field) {
            case 0 -> worker;
            case 1 -> a;
            case 2 -> b;
            case 3 -> c;
            default -> d;
        };
    }

    /** Java source that rebuilds this step, so a shrunk sequence can be pasted into a regression test. */
    @Override
    public String toString() {
        return "new ModelStep(Kind." + kind + ", " + worker + ", " + a + ", " + b + ", " + c + ", " + d + ")";
    }
}
