package io.segpool.allocator;

import java.util.concurrent.locks.LockSupport;

/**
 * The opt-in background release ({@link AllocatorConfig#withReleaseAfter}): one daemon thread per
 * allocator that gives idle free memory back to the OS without anyone calling
 * {@link NativeAllocator#trim()} (jemalloc's {@code dirty_decay_ms}, tcmalloc's background
 * release, the Go runtime's scavenger).
 *
 * <p>Every quarter delay it reclaims the caches of ended threads, then looks at each class's refill,
 * spill and reclaim counters: a class whose counters have not moved for a whole delay, and that has not
 * been trimmed since they last moved, is trimmed (its wholly free chunks released with
 * {@code madvise}); free large spans kept longer than the delay are unmapped. So free memory
 * idle for the delay is given back within one and a half delays (a quarter to notice the last
 * activity, the delay, a quarter to notice it passed), and a busy class is never
 * trimmed under its users' feet. {@code close()} stops the thread.
 */
final class BackgroundRelease implements Runnable {

    private final String name;
    private final Liveness live;
    private final CacheRegistry caches;
    private final LargeBlocks large;
    private final CentralStack[] centrals;
    private final long delayNanos;
    private final Thread thread;
    private final long[] lastActivity;
    private final long[] lastChange;
    private final boolean[] trimmedSince;
    private volatile boolean stopped;

    private BackgroundRelease(Rooms rooms, CacheRegistry caches, LargeBlocks large, CentralStack[] centrals,
                              long delayNanos) {
        this.name = rooms.name();
        this.live = rooms.live();
        this.caches = caches;
        this.large = large;
        this.centrals = centrals;
        this.delayNanos = delayNanos;
        int classes = SizeClasses.count();
        this.lastActivity = new long[classes];
        this.lastChange = new long[classes];
        this.trimmedSince = new boolean[classes];
        this.thread = Thread.ofPlatform().daemon().name("segpool-release-" + name).unstarted(this);
    }

    /** Starts the release thread of an allocator's rooms, or returns null when {@code delay} is null (none). */
    static BackgroundRelease start(java.time.Duration delay, Rooms rooms, CacheRegistry caches, LargeBlocks large,
                                   CentralStack[] centrals) {
        if (delay == null) {
            return null;
        }
        BackgroundRelease release = new BackgroundRelease(rooms, caches, large, centrals, delay.toNanos());
        release.thread.start();
        return release;
    }

    @Override
    public void run() {
        long now = System.nanoTime();
        java.util.Arrays.fill(lastChange, now);
        while (!stopped) {
            LockSupport.parkNanos(this, delayNanos / 4);
            if (stopped) {
                return;
            }
            try {
                tick(System.nanoTime());
            } catch (RuntimeException e) {
                if (!live.isOpen()) {
                    return; // close() won the race: nothing is left to release
                }
                // Anything else (the OS refusing a release) left its memory cached and counted:
                // the next tick tries again, and the thread lives on.
            }
        }
    }

    private void tick(long now) {
        live.check();
        caches.reclaimEnded();
        long bytes = large.releaseIdle(now - delayNanos);
        for (int c = 0; c < lastActivity.length; c++) {
            CentralStack central = centrals[c];
            // A reclaim counts: an ended thread's ring arriving can make a chunk wholly free after the
            // class was trimmed, and that chunk must be trimmed in its turn.
            long activity = central.refills() + central.spills() + central.reclaims();
            if (activity != lastActivity[c]) {
                lastActivity[c] = activity;
                lastChange[c] = now;
                trimmedSince[c] = false;
            } else if (!trimmedSince[c] && now - lastChange[c] >= delayNanos) {
                bytes += central.trim();
                trimmedSince[c] = true;
            }
        }
        if (bytes > 0) {
            AllocatorEvents.trim(name, bytes);
        }
    }

    /** Stops the thread and waits for it to finish its tick (it never waits on the allocator). */
    void stop() {
        stopped = true;
        LockSupport.unpark(thread);
        if (Thread.currentThread() != thread) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The release thread, for tests. */
    Thread thread() {
        return thread;
    }
}
