package io.segpool.budgets;

import io.segpool.allocator.NativeAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A model-based test of allocate, free (right and wrong budget), reservations, setLimit and close
 * over a four-budget tree ({@code db}, {@code db/a}, {@code db/b}, {@code db/a/op}). The model
 * ({@link BudgetModel}) states Arrow's rules declaratively: a budget's use is its own blocks and
 * reservations plus, per child, the larger of the child's reservation and use; a request is
 * refused, by the lowest budget it would take past its limit, exactly when that sum would pass a
 * limit. Every call's outcome and every figure are compared after every step; a failing sequence
 * is shrunk by dropping steps and printed with its seed ({@code -Dbudget.seed=S} replays it).
 * Half the tries use limits under 128 KiB (no leased credit), half use large ones (credit leased
 * and flushed before {@code used} is compared).
 */
@Timeout(120)
class BudgetModelTest {

    private static final int TRIES = 300;
    private static final int STEPS = 60;

    @Test
    void everyCallMatchesTheModel() {
        long seed = Long.getLong("budget.seed", ThreadLocalRandom.current().nextLong());
        int tries = Integer.getInteger("budget.tries", TRIES);
        try (NativeAllocator allocator = NativeAllocator.create()) {
            for (int t = 0; t < tries; t++) {
                long trySeed = seed + t;
                List<int[]> steps = generate(new SplittableRandom(trySeed));
                String failure = run(allocator, steps, trySeed % 2 == 0);
                if (failure != null) {
                    List<int[]> shrunk = shrink(allocator, steps, trySeed % 2 == 0);
                    StringBuilder m = new StringBuilder("seed " + trySeed + " (replay: -Dbudget.seed=" + trySeed
                            + " -Dbudget.tries=1): " + failure + "\nshrunk to " + shrunk.size() + " steps:");
                    for (int[] s : shrunk) {
                        m.append("\n  ").append(BudgetModel.describe(s));
                    }
                    m.append("\nwhich fails with: ").append(run(allocator, shrunk, trySeed % 2 == 0));
                    fail(m.toString());
                }
            }
        }
    }

    private static List<int[]> generate(SplittableRandom random) {
        List<int[]> steps = new ArrayList<>();
        int n = random.nextInt(5, STEPS);
        for (int i = 0; i < n; i++) {
            int kind = random.nextInt(100);
            int op = kind < 35 ? BudgetModel.ALLOC : kind < 60 ? BudgetModel.FREE : kind < 68 ? BudgetModel.WRONG_FREE
                    : kind < 76 ? BudgetModel.RESERVE : kind < 84 ? BudgetModel.RES_ALLOC
                    : kind < 90 ? BudgetModel.RES_CLOSE : kind < 96 ? BudgetModel.SET_LIMIT : BudgetModel.CLOSE;
            steps.add(new int[] {op, random.nextInt(4), random.nextInt(1 << 20), random.nextInt(64)});
        }
        return steps;
    }

    private static String run(NativeAllocator allocator, List<int[]> steps, boolean small) {
        BudgetModel model = new BudgetModel(allocator, small);
        try {
            for (int i = 0; i < steps.size(); i++) {
                String failure = model.step(steps.get(i));
                if (failure != null) {
                    return "step " + i + " " + BudgetModel.describe(steps.get(i)) + ": " + failure;
                }
            }
            return null;
        } catch (RuntimeException | AssertionError e) {
            return "threw " + e;
        } finally {
            model.release();
        }
    }

    private static List<int[]> shrink(NativeAllocator allocator, List<int[]> steps, boolean small) {
        List<int[]> current = new ArrayList<>(steps);
        boolean progress = true;
        int runs = 0;
        while (progress && runs < 400) {
            progress = false;
            for (int i = current.size() - 1; i >= 0 && runs < 400; i--) {
                List<int[]> candidate = new ArrayList<>(current);
                candidate.remove(i);
                runs++;
                if (run(allocator, candidate, small) != null) {
                    current = candidate;
                    progress = true;
                }
            }
        }
        return current;
    }

    /** A live block in the model: its owner's index and segment. */
    record Held(int owner, MemorySegment segment, long block) {
    }

    /** An open reservation in the model. */
    static final class Res {
        final int owner;
        final BudgetReservation real;
        long reserved;
        boolean closed;

        Res(int owner, BudgetReservation real) {
            this.owner = owner;
            this.real = real;
        }
    }
}
