package io.segpool.allocator;

import io.segpool.allocator.SequenceRun.Block;
import io.segpool.allocator.SequenceThreads.Route;

import java.util.SplittableRandom;

/**
 * The wrong uses of caches for {@link SequenceWrongCalls}: a held {@link ThreadCache} used by a
 * thread it does not belong to (the helper using the test thread's, the test thread or a virtual
 * thread using the helper's or the test thread's), and a borrowed cache used, or closed again,
 * after its {@code close()}. Each call is one of allocate, aligned allocate, allocateAddress,
 * flush, or a free of a live block by address or segment.
 */
final class SequenceWrongCaches {

    private final SequenceWrongCalls calls;
    private final SequenceRun run;
    private final SplittableRandom random;

    SequenceWrongCaches(SequenceWrongCalls calls) {
        this.calls = calls;
        this.run = calls.run;
        this.random = run.random;
    }

    /** A held cache used by another thread: the test thread's by the helper or a virtual thread, the helper's by the test thread. */
    boolean onTheWrongThread() {
        Block block = calls.randomLive();
        int who = random.nextInt(3);
        ThreadCache cache = who == 0 ? run.threads.helperCache() : run.threads.mainCache();
        Route route = who == 0 ? Route.MAIN : who == 1 ? Route.HELPER : Route.VIRTUAL;
        int call = random.nextInt(block == null ? 4 : 6);
        String what = "call " + call + " on " + (who == 0 ? "the helper's" : "the test thread's") + " cache";
        return calls.expect(SequenceKind.CACHE_OTHER_THREAD, route, what, block == null ? 0 : block.address(),
                () -> run.threads.run(route, false, api -> cacheCall(cache, call, block)));
    }

    /** A virtual thread borrows a cache, closes it, then uses it (or closes it again). */
    boolean borrowAfterClose() {
        Block block = calls.randomLive();
        // (A second close of a given-back borrow is no wrong call: every close is idempotent.)
        int call = block == null ? new int[] {0, 1, 2, 3}[random.nextInt(4)] : random.nextInt(6);
        String what = "call " + call + " on a borrowed cache after its close";
        return calls.expect(SequenceKind.BORROW_AFTER_CLOSE, Route.VIRTUAL, what, block == null ? 0 : block.address(),
                () -> run.threads.onVirtual(() -> {
                    ThreadCache cache = run.allocator.borrowCache();
                    cache.close();
                    return SequenceThreads.capture(() -> cacheCall(cache, call, block));
                }));
    }

    private static Object cacheCall(ThreadCache cache, int call, Block block) {
        switch (call) {
            case 0 -> cache.allocate(64);
            case 1 -> cache.allocate(100, 64);
            case 2 -> cache.allocateAddress(1 << 12);
            case 3 -> cache.flush();
            case 4 -> cache.freeAddress(block.address(), block.size());
            default -> {
                if (block.segment() != null) {
                    cache.free(block.segment());
                } else {
                    cache.freeAddress(block.address(), block.size());
                }
            }
        }
        return null;
    }
}
