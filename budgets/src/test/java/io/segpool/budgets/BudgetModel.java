package io.segpool.budgets;

import io.segpool.allocator.NativeAllocator;

import java.util.ArrayList;
import java.util.List;

/**
 * The model of {@link BudgetModelTest}: four real budgets and, beside them, what Arrow's rules say
 * each holds. A step is {@code {kind, budget, param, pick}}; {@link #step} makes the real call,
 * checks its outcome against the model, applies it to the model and compares every figure.
 */
final class BudgetModel {

    static final int ALLOC = 0, FREE = 1, WRONG_FREE = 2, RESERVE = 3, RES_ALLOC = 4, RES_CLOSE = 5, SET_LIMIT = 6,
            CLOSE = 7;
    private static final String[] KINDS = {"alloc", "free", "wrong-free", "reserve", "res-alloc", "res-close",
            "set-limit", "close"};
    private static final int[] PARENT = {-1, 0, 0, 1};

    private final boolean small;
    private final Budget[] real = new Budget[4];
    private final long[] limit;
    private final long[] res;
    private final long[] ownBlocks = new long[4];
    private final long[] ownReserved = new long[4];
    private final boolean[] closed = new boolean[4];
    private final List<BudgetModelTest.Held> held = new ArrayList<>();
    private final List<BudgetModelTest.Res> reservations = new ArrayList<>();

    BudgetModel(NativeAllocator allocator, boolean small) {
        this.small = small;
        limit = small ? new long[] {100_000, 60_000, 50_000, 30_000} : new long[] {64L << 20, 40L << 20, 32L << 20, 16L << 20};
        res = small ? new long[] {0, 8_000, 0, 4_000} : new long[] {0, 1L << 20, 0, 512L << 10};
        real[0] = Budget.root(allocator, "db", limit[0]);
        real[1] = real[0].newChild("a", res[1], limit[1]);
        real[2] = real[0].newChild("b", res[2], limit[2]);
        real[3] = real[1].newChild("op", res[3], limit[3]);
    }

    static String describe(int[] s) {
        return KINDS[s[0]] + "(budget " + s[1] + ", " + s[2] + ", pick " + s[3] + ")";
    }

    long used(int n) {
        long u = ownBlocks[n] + ownReserved[n];
        for (int c = 0; c < 4; c++) {
            if (PARENT[c] == n) {
                u += Math.max(res[c], used(c));
            }
        }
        return u;
    }

    /** The budget that refuses adding {@code bytes} to {@code n}'s own use, or -1 when it fits. */
    private int refuser(int n, long bytes) {
        long[] before = new long[4];
        for (int i = 0; i < 4; i++) {
            before[i] = used(i);
        }
        ownBlocks[n] += bytes;
        try {
            for (int i = n; i >= 0; i = PARENT[i]) {
                long after = used(i);
                if (after > before[i] && after > limit[i]) {
                    return i;
                }
            }
            return -1;
        } finally {
            ownBlocks[n] -= bytes;
        }
    }

    private long size(int param) {
        return small ? param % 48_000 : (long) param * 24;
    }

    /** Runs one step; null when the real budgets did as the model says, else what differed. */
    String step(int[] s) {
        int n = s[1];
        Budget b = real[n];
        switch (s[0]) {
            case ALLOC -> {
                long size = size(s[2]);
                long block = NativeAllocator.blockSize(size);
                if (closed[n]) {
                    return expect(IllegalStateException.class, () -> b.allocate(size));
                }
                int refuser = refuser(n, block);
                if (refuser >= 0) {
                    String e = expect(BudgetLimitException.class, () -> b.allocate(size));
                    return e != null ? e + " (model: refused by " + real[refuser].path() + ")" : null;
                }
                try {
                    held.add(new BudgetModelTest.Held(n, b.allocate(size), block));
                } catch (RuntimeException e) {
                    return "model says it fits, real threw " + e;
                }
                ownBlocks[n] += block;
            }
            case FREE, WRONG_FREE -> {
                if (held.isEmpty()) {
                    return check();
                }
                BudgetModelTest.Held h = held.get(s[3] % held.size());
                Budget via = s[0] == FREE ? real[h.owner()] : b;
                if (via != real[h.owner()]) {
                    return orCheck(expect(IllegalArgumentException.class, () -> via.free(h.segment())));
                }
                via.free(h.segment());
                held.remove(h);
                ownBlocks[h.owner()] -= h.block();
            }
            case RESERVE -> {
                if (closed[n]) {
                    return orCheck(expect(IllegalStateException.class, b::newReservation));
                }
                long bytes = size(s[2]);
                BudgetModelTest.Res r = new BudgetModelTest.Res(n, b.newReservation());
                reservations.add(r);
                boolean fits = refuser(n, bytes) < 0;
                if (r.real.add(bytes) != fits) {
                    return "reservation add(" + bytes + ") on " + b.path() + ": model says " + fits;
                }
                if (fits) {
                    r.reserved = bytes;
                    ownReserved[n] += bytes;
                }
            }
            case RES_ALLOC -> {
                if (reservations.isEmpty()) {
                    return check();
                }
                BudgetModelTest.Res r = reservations.get(s[3] % reservations.size());
                long size = size(s[2]) / 4;
                long block = NativeAllocator.blockSize(size);
                if (r.closed || closed[r.owner] || block > r.reserved) {
                    return orCheck(expect(IllegalStateException.class, () -> r.real.allocate(size)));
                }
                held.add(new BudgetModelTest.Held(r.owner, r.real.allocate(size), block));
                r.reserved -= block;
                ownReserved[r.owner] -= block;
                ownBlocks[r.owner] += block;
            }
            case RES_CLOSE -> {
                if (!reservations.isEmpty()) {
                    BudgetModelTest.Res r = reservations.get(s[3] % reservations.size());
                    r.real.close();
                    closeReservation(r);
                }
            }
            case SET_LIMIT -> {
                long newLimit = s[2] % 2 == 0 ? limit[n] / 2 + s[3] * 1000L : limit[n] + s[3] * 1000L;
                if (newLimit < res[n]) {
                    return orCheck(expect(IllegalArgumentException.class, () -> b.setLimit(newLimit)));
                }
                b.setLimit(newLimit);
                limit[n] = newLimit;
            }
            case CLOSE -> {
                if (closed[n]) {
                    b.close();
                    return check();
                }
                boolean leak = false;
                for (BudgetModelTest.Held h : held) {
                    leak |= inSubtree(h.owner(), n);
                }
                String e = leak ? expect(BudgetLeakException.class, b::close) : null;
                if (!leak) {
                    b.close();
                }
                for (BudgetModelTest.Res r : reservations) {
                    if (inSubtree(r.owner, n)) {
                        closeReservation(r);
                    }
                }
                for (int i = 0; i < 4; i++) {
                    if (inSubtree(i, n)) {
                        closed[i] = true;
                        res[i] = 0;
                    }
                }
                if (e != null) {
                    return e;
                }
            }
            default -> throw new IllegalArgumentException("step " + s[0]);
        }
        return check();
    }

    private void closeReservation(BudgetModelTest.Res r) {
        ownReserved[r.owner] -= r.reserved;
        r.reserved = 0;
        r.closed = true;
    }

    private static boolean inSubtree(int node, int top) {
        for (int i = node; i >= 0; i = PARENT[i]) {
            if (i == top) {
                return true;
            }
        }
        return false;
    }

    private String orCheck(String failure) {
        return failure != null ? failure : check();
    }

    private static String expect(Class<? extends Throwable> type, Runnable call) {
        try {
            call.run();
            return "expected " + type.getSimpleName() + ", the call succeeded";
        } catch (Throwable e) {
            return type.isInstance(e) ? null : "expected " + type.getSimpleName() + ", got " + e;
        }
    }

    /** Compares every budget's figures with the model; null when all agree. */
    private String check() {
        // Leased credit (large limits, or a small one raised by setLimit) is taken back first.
        for (Budget b : real) {
            b.flush();
        }
        for (int i = 0; i < 4; i++) {
            Budget b = real[i];
            long used = used(i);
            boolean over = false;
            for (int j = i; j >= 0; j = PARENT[j]) {
                over |= used(j) > limit[j];
            }
            long headroom = headroom(i);
            if (b.allocated() != ownBlocks[i] || b.used() != used || b.isOverLimit() != over
                    || b.headroom() != headroom || b.reservation() != res[i] || b.isClosed() != closed[i]
                    || b.limit() != limit[i]) {
                return b.path() + ": real allocated " + b.allocated() + " used " + b.used() + " over " + b.isOverLimit()
                        + " headroom " + b.headroom() + " res " + b.reservation() + " closed " + b.isClosed()
                        + "; model " + ownBlocks[i] + " " + used + " " + over + " " + headroom + " " + res[i] + " "
                        + closed[i];
            }
        }
        return null;
    }

    private long headroom(int n) {
        long local = Math.max(0, limit[n] - used(n));
        return PARENT[n] < 0 ? local : Math.min(local, headroom(PARENT[n]) + Math.max(0, res[n] - used(n)));
    }

    /** Frees what the sequence left and closes the tree, so the next try starts from an idle allocator. */
    void release() {
        real[0].closeAndRelease();
    }
}
