package io.segpool.allocator;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;

/**
 * Every thread cache of one allocator: where a thread finds its own, where the caches of ended
 * threads are found and emptied, and where stats are summed.
 *
 * <p>Platform threads reach their cache through a {@code ThreadLocal} that holds it weakly: the
 * {@link #platform} list holds it strongly while the allocator is open. A strong value would
 * point back (cache, allocator, registry) to the {@code ThreadLocal} key itself, and a long-lived
 * thread would then keep every allocator it ever used reachable, closed or not.
 *
 * <p> When one ends, its cache
 * is reclaimed (its blocks go to the central stacks, its counters to the retired totals) by the
 * next {@code trim()} or {@code readMemStats}, and by the next refill or spill slow path of any
 * thread when a cache was registered since the last scan: thread churn is what strands blocks, so
 * churn is what triggers the scan. A thread's end happens-before another thread seeing
 * {@code isAlive() == false} (JLS 17.4.4), so the reclaimer sees the dead thread's last writes.
 *
 * <p>Virtual threads share {@link #sharedCount} caches, at most two per processor, picked by thread
 * id and taken with {@code tryLock} (the next one on contention, a blocking lock after a full
 * round): a million virtual threads make no more caches than that.
 */
final class CacheRegistry {

    private final NativeAllocator allocator;
    private final ThreadLocal<WeakReference<ThreadCache>> local = new ThreadLocal<>();
    /** Live platform caches; guarded by this. */
    private final List<ThreadCache> platform = new ArrayList<>();
    /** Shared virtual-thread caches, made on first use; written under this, read racily (final fields). */
    private final ThreadCache[] shared;
    /** Caches registered since the last scan for ended threads; written under this. */
    private volatile int registeredSinceScan;
    /** Counters of reclaimed caches, per class; guarded by this. */
    private final long[] retiredMallocs = new long[SizeClasses.count()];
    private final long[] retiredFrees = new long[SizeClasses.count()];

    CacheRegistry(NativeAllocator allocator) {
        this.allocator = allocator;
        this.shared = new ThreadCache[2 * Runtime.getRuntime().availableProcessors()];
    }

    /** The calling platform thread's cache. */
    ThreadCache local() {
        WeakReference<ThreadCache> ref = local.get();
        ThreadCache cache = ref == null ? null : ref.get();
        return cache != null ? cache : registerLocal();
    }

    private ThreadCache registerLocal() {
        ThreadCache cache = register();
        local.set(new WeakReference<>(cache));
        return cache;
    }

    private synchronized ThreadCache register() {
        allocator.checkOpen();
        ThreadCache cache = new ThreadCache(allocator, Thread.currentThread());
        platform.add(cache);
        registeredSinceScan++;
        return cache;
    }

    /** Locks and returns a shared cache for a virtual thread; the caller unlocks {@link ThreadCache#lock}. */
    ThreadCache lockShared(Thread thread) {
        int n = shared.length;
        int start = (int) (((thread.threadId() * 0x9E37_79B9_7F4A_7C15L) >>> 33) % n);
        for (int i = 0; i < n; i++) {
            ThreadCache cache = sharedCache((start + i) % n);
            if (cache.lock.tryLock()) {
                return cache;
            }
        }
        ThreadCache cache = sharedCache(start);
        cache.lock.lock();
        return cache;
    }

    private ThreadCache sharedCache(int i) {
        ThreadCache cache = shared[i];
        return cache != null ? cache : newShared(i);
    }

    private synchronized ThreadCache newShared(int i) {
        if (shared[i] == null) {
            shared[i] = new ThreadCache(allocator, null);
        }
        return shared[i];
    }

    /** The slow-path check: scans for ended threads only when caches were registered since the last scan. */
    void reclaimIfDue() {
        if (registeredSinceScan != 0) {
            reclaimEnded();
        }
    }

    /** Empties the caches of ended platform threads into the central stacks. Returns how many. */
    synchronized int reclaimEnded() {
        registeredSinceScan = 0;
        int reclaimed = 0;
        for (int i = platform.size() - 1; i >= 0; i--) {
            ThreadCache cache = platform.get(i);
            if (cache.ownerEnded()) {
                retire(cache);
                platform.set(i, platform.get(platform.size() - 1));
                platform.remove(platform.size() - 1);
                reclaimed++;
            }
        }
        return reclaimed;
    }

    private void retire(ThreadCache cache) {
        long blocks = 0;
        for (int c = 0; c < retiredMallocs.length; c++) {
            RingCache ring = cache.ringOrNull(c);
            if (ring != null) {
                blocks += ring.countOpaque();
                ring.flush();
                retiredMallocs[c] += ring.mallocsOpaque();
                retiredFrees[c] += ring.freesOpaque();
            }
        }
        AllocatorEvents.reclaimed(cache.owner, blocks);
    }

    /** Live caches: platform threads' plus the shared ones made so far. */
    synchronized int cacheCount() {
        int n = platform.size();
        for (ThreadCache cache : shared) {
            if (cache != null) {
                n++;
            }
        }
        return n;
    }

    /**
     * Sums, for one class, mallocs, frees and blocks cached over every cache, live and retired, into
     * {@code out[0..2]}. Read racily: exact when no thread is allocating.
     */
    synchronized void sumClass(int sizeClass, long[] out) {
        long mallocs = retiredMallocs[sizeClass];
        long frees = retiredFrees[sizeClass];
        long cached = 0;
        for (int i = 0; i < platform.size(); i++) {
            RingCache ring = platform.get(i).ringOrNull(sizeClass);
            if (ring != null) {
                mallocs += ring.mallocsOpaque();
                frees += ring.freesOpaque();
                cached += ring.countOpaque();
            }
        }
        for (ThreadCache cache : shared) {
            RingCache ring = cache == null ? null : cache.ringOrNull(sizeClass);
            if (ring != null) {
                mallocs += ring.mallocsOpaque();
                frees += ring.freesOpaque();
                cached += ring.countOpaque();
            }
        }
        out[0] = mallocs;
        out[1] = frees;
        out[2] = cached;
    }

    /** Drops every platform cache; for {@link NativeAllocator#close()}, after which none is used again. */
    synchronized void releaseAll() {
        platform.clear();
        local.remove();
    }
}
