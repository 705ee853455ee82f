package io.segpool.allocator;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Every thread cache of one allocator: where a thread finds its own, where the caches of ended
 * threads are found and emptied, and where stats are summed.
 *
 * <p>Platform threads find their cache in the cache table, which this registry owns and builds;
 * it publishes each new table to the allocator's face as well (a mirror in a field of the face,
 * so that the hot path's lookup is one load from the allocator), an open-addressed array indexed by
 * {@code threadId()}: one load of the array, one of the slot, one compare of the owner. Thread ids
 * are handed out in sequence, so live threads rarely collide; the table is at least four times
 * the number of live caches and is rebuilt (copy-on-write, published with a volatile store) when a
 * cache is registered or reclaimed, so it stays bounded by the live threads under churn, and
 * nothing outside the allocator (no {@code ThreadLocal}) keeps a closed allocator reachable.
 *
 * <p>When a platform thread ends, its cache is reclaimed (its blocks go to the central stacks,
 * its counters to the retired totals) by the next {@code trim()} or {@code readMemStats}, and by the
 * next refill or spill of any thread when a cache was registered since the last scan: thread churn
 * is what strands blocks, so churn is what triggers the scan. A thread's end happens-before
 * another thread seeing {@code isAlive() == false} (JLS 17.4.4), so the reclaimer sees its writes.
 *
 * <p>Virtual threads never get a cache of their own: they share {@link #stripes}, at most two per
 * processor, picked by thread id and taken with a compare-and-set flag (the next stripe when one
 * is taken, a yield after a full round). A million virtual threads make no more caches than that.
 */
final class CacheRegistry {

    private static final int MIN_TABLE = 64;

    private final Heap heap;
    private final int mode;
    private final Rooms rooms;
    private final CentralStack[] centrals;
    private final LargeBlocks large;
    /** Where each new table goes besides {@link #table}: the face's mirror, stored with release. */
    private final Consumer<ThreadCache[]> publish;
    /** The current cache table; replaced whole under this, read without the lock by {@link #probe}. */
    private volatile ThreadCache[] table = new ThreadCache[MIN_TABLE];
    /** Live platform caches; guarded by this. */
    private final List<ThreadCache> platform = new ArrayList<>();
    /** Shared virtual-thread caches, made on first use; written under this, read racily (final fields). */
    private final ThreadCache[] stripes;
    /** Caches registered since the last scan for ended threads; written under this. */
    private volatile int registeredSinceScan;
    /** Counters of reclaimed caches, per class; guarded by this. */
    private final long[] retiredMallocs = new long[SizeClasses.count()];
    private final long[] retiredFrees = new long[SizeClasses.count()];

    CacheRegistry(Heap heap, int mode, Rooms rooms, CentralStack[] centrals, LargeBlocks large,
                  Consumer<ThreadCache[]> publish) {
        this.heap = heap;
        this.mode = mode;
        this.rooms = rooms;
        this.centrals = centrals;
        this.large = large;
        this.publish = publish;
        publish.accept(table);
        this.stripes = new ThreadCache[2 * Runtime.getRuntime().availableProcessors()];
    }

    /**
     * The calling thread's cache: a platform thread's own (registered on its first call), or a
     * stripe taken for a virtual thread, which the caller gives back with {@link #releaseStripe}.
     */
    ThreadCache current() {
        return currentSlow(Thread.currentThread());
    }

    /** A new cache for {@code owner}, or a stripe for virtual threads when {@code owner} is null. */
    private ThreadCache newCache(Thread owner) {
        return new ThreadCache(heap, mode, owner, rooms, centrals, large, this);
    }

    /**
     * {@link #takeSlow} and {@link #releaseSlow} as method handles that the allocator's face
     * calls through a field the JIT cannot treat as a constant, so that it never inlines them: a
     * virtual thread's path (stripe, CAS, ring, block state) then stays out of the public methods'
     * compiled code, which stays small enough to inline into every caller, so that escape analysis
     * removes the segment whatever order the methods were compiled in (docs/DESIGN.md).
     */
    static final MethodHandle TAKE_SLOW;
    static final MethodHandle RELEASE_SLOW;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            TAKE_SLOW = lookup.findVirtual(CacheRegistry.class, "takeSlow",
                    MethodType.methodType(long.class, int.class, long.class));
            RELEASE_SLOW = lookup.findVirtual(CacheRegistry.class, "releaseSlow",
                    MethodType.methodType(void.class, long.class, long.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * A take for a thread whose cache is not in the table: a virtual thread's stripe, or a first
     * call. Offsets in and out, never a segment: see docs/DESIGN.md, "Virtual threads".
     */
    long takeSlow(int sizeClass, long size) {
        ThreadCache cache = current();
        try {
            return cache.take(sizeClass, size);
        } finally {
            if (cache.shared) {
                releaseStripe(cache);
            }
        }
    }

    /** A batch for a thread whose cache is not in the table (a virtual thread holds a stripe for the whole batch). */
    void batchSlow(boolean allocate, long size, long[] addresses, int offset, int count) {
        ThreadCache cache = current();
        try {
            if (allocate) {
                Batches.allocate(cache, size, addresses, offset, count);
            } else {
                Batches.free(cache, size, addresses, offset, count);
            }
        } finally {
            if (cache.shared) {
                releaseStripe(cache);
            }
        }
    }

    /** The release for a thread whose cache is not in the table; as {@link #takeSlow}. */
    void releaseSlow(long offset, long size) {
        ThreadCache cache = current();
        try {
            cache.release(offset, size);
        } finally {
            if (cache.shared) {
                releaseStripe(cache);
            }
        }
    }

    private ThreadCache currentSlow(Thread thread) {
        if (thread.isVirtual()) {
            return takeStripe(thread);
        }
        ThreadCache found = probe(table, thread);
        return found != null ? found : register(thread);
    }

    private static ThreadCache probe(ThreadCache[] slots, Thread thread) {
        int mask = slots.length - 1;
        for (int i = (int) thread.threadId() & mask; slots[i] != null; i = (i + 1) & mask) {
            if (slots[i].owner == thread) {
                return slots[i];
            }
        }
        return null;
    }

    private synchronized ThreadCache register(Thread thread) {
        rooms.live().check();
        ThreadCache found = probe(table, thread);
        if (found != null) {
            return found;
        }
        ThreadCache cache = newCache(thread);
        platform.add(cache);
        registeredSinceScan++;
        rebuild();
        return cache;
    }

    /** Rebuilds {@link #table} from {@link #platform}; under this. */
    private void rebuild() {
        int size = MIN_TABLE;
        while (size < 4 * platform.size()) {
            size <<= 1;
        }
        ThreadCache[] slots = new ThreadCache[size];
        for (ThreadCache cache : platform) {
            int i = (int) cache.owner.threadId() & (size - 1);
            while (slots[i] != null) {
                i = (i + 1) & (size - 1);
            }
            slots[i] = cache;
        }
        table = slots;
        publish.accept(slots);
    }

    /**
     * How long a virtual thread waits for a stripe, every one being held by a live thread, before
     * it is refused with the reason: {@value #STRIPE_WAIT_SECONDS} s. A stripe is held for one call,
     * or for a borrow that should be short; a wait this long means borrows are held across
     * blocking work, and a hang would hide it.
     */
    static final long STRIPE_WAIT_SECONDS = 5;
    /** {@link #STRIPE_WAIT_SECONDS} in nanoseconds; tests shorten it. */
    long stripeWaitNanos = STRIPE_WAIT_SECONDS * 1_000_000_000L;

    /**
     * Takes a stripe for {@code thread}: the one it already holds (re-entry), else the first free
     * one from a start picked by its id, else one whose holder has ended without giving it back
     * (a virtual thread that leaked a {@code borrowCache()}): the stripe comes back with its
     * blocks, taken over with a compare-and-set of its owner, so two threads never both take
     * it. A thread's end happens-before another thread seeing {@code isAlive() == false}, so the
     * new holder sees the dead one's writes to the rings. After a full round of taken stripes it
     * parks for a moment (longer each round, up to a millisecond) and tries again: a holder may
     * be unmounted inside a refill, and parking, unlike {@code Thread.yield()}, lets it run
     * again. It throws, naming the holders, only when no stripe has changed hands for
     * {@link #stripeWaitNanos}: a wait that long with holders making progress is only a busy
     * (or starved) machine, while the same holders for the whole time are borrows held across
     * blocking work.
     */
    ThreadCache takeStripe(Thread thread) {
        int n = stripes.length;
        // The start is the id's hash scaled to [0, n) by a multiply and a shift, and the next
        // stripe wraps by a compare: a virtual thread picks a stripe every call, and a 64-bit
        // division is tens of cycles on some CPUs.
        int start = (int) ((((thread.threadId() * 0x9E37_79B9_7F4A_7C15L) >>> 32) * n) >>> 32);
        long waitingSince = 0;
        long handoffsSeen = 0;
        for (long backoff = 1_000; ; backoff = Math.min(2 * backoff, 1_000_000)) {
            for (int i = 0; i < n; i++) {
                int index = start + i;
                ThreadCache stripe = stripe(index < n ? index : index - n);
                Thread holder = stripe.owner;
                if (holder == thread) {
                    stripe.depth++;
                    return stripe;
                }
                if (stripe.tryTake()) {
                    stripe.owner = thread;
                    stripe.depth = 1;
                    return stripe;
                }
                if (holder != null && !holder.isAlive() && stripe.takeOver(holder, thread)) {
                    stripe.depth = 1;
                    return stripe;
                }
            }
            rooms.live().check();
            long now = System.nanoTime();
            long handoffs = handoffs();
            if (waitingSince == 0 || handoffs != handoffsSeen) {
                waitingSince = now; // first full round, or a stripe changed hands since: the clock starts again
                handoffsSeen = handoffs;
            } else if (now - waitingSince > stripeWaitNanos) {
                throw Refusals.stripesHeld(thread, stripes, (now - waitingSince) / 1_000_000);
            }
            LockSupport.parkNanos(backoff);
        }
    }

    /** Stripe hand-backs so far, summed over the stripes (racy reads: a progress sign, not a count). */
    private long handoffs() {
        long sum = 0;
        for (ThreadCache stripe : stripes) {
            if (stripe != null) {
                sum += stripe.handoffs;
            }
        }
        return sum;
    }

    /** Gives back a stripe that {@link #takeStripe} returned, once its holder's last use ends. */
    void releaseStripe(ThreadCache stripe) {
        if (--stripe.depth == 0) {
            stripe.handoffs++;
            stripe.owner = null;
            stripe.giveBack();
        }
    }

    private ThreadCache stripe(int i) {
        ThreadCache stripe = stripes[i];
        return stripe != null ? stripe : newStripe(i);
    }

    private synchronized ThreadCache newStripe(int i) {
        if (stripes[i] == null) {
            stripes[i] = newCache(null);
        }
        return stripes[i];
    }

    /** The slow-path check: scans for ended threads only when caches were registered since the last scan. */
    void reclaimIfDue() {
        if (registeredSinceScan != 0) {
            reclaimEnded();
        }
    }

    /**
     * Empties every virtual-thread stripe that no thread holds into the central stacks, for
     * {@code trim()}: blocks virtual threads freed stay in the stripes' rings after those threads
     * end (a stripe has no owner that ends), out of the trim's reach otherwise. A stripe is taken
     * with its flag for the flush, as a virtual thread takes it, so none is flushed while in use;
     * one held by a live thread is skipped, one whose holder ended holding it is taken over.
     * Returns the blocks given back.
     */
    long flushIdleStripes() {
        long blocks = 0;
        Thread self = Thread.currentThread();
        for (ThreadCache stripe : stripes) {
            if (stripe == null) {
                continue;
            }
            Thread holder = stripe.owner;
            if (stripe.tryTake()) {
                try {
                    blocks += RingCache.flush(stripe);
                } finally {
                    stripe.giveBack();
                }
            } else if (holder != null && !holder.isAlive() && stripe.takeOver(holder, self)) {
                // Its holder ended holding it (a leaked borrow): the flag stays taken, so take it
                // over as a virtual thread's pick would, empty it and give it back.
                stripe.depth = 1;
                try {
                    blocks += RingCache.flush(stripe);
                } finally {
                    releaseStripe(stripe);
                }
            }
        }
        return blocks;
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
        if (reclaimed > 0) {
            rebuild();
        }
        return reclaimed;
    }

    private void retire(ThreadCache cache) {
        for (int c = 0; c < retiredMallocs.length; c++) {
            retiredMallocs[c] += RingCache.mallocs(cache, c);
            retiredFrees[c] += RingCache.frees(cache, c);
        }
        long blocks = RingCache.flush(cache);
        AllocatorEvents.reclaimed(rooms.name(), cache.owner, blocks);
    }

    /** Live caches: platform threads' plus the stripes made so far. */
    synchronized int cacheCount() {
        int n = platform.size();
        for (ThreadCache stripe : stripes) {
            if (stripe != null) {
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
            ThreadCache cache = platform.get(i);
            mallocs += RingCache.mallocs(cache, sizeClass);
            frees += RingCache.frees(cache, sizeClass);
            cached += RingCache.cached(cache, sizeClass);
        }
        for (ThreadCache stripe : stripes) {
            if (stripe != null) {
                mallocs += RingCache.mallocs(stripe, sizeClass);
                frees += RingCache.frees(stripe, sizeClass);
                cached += RingCache.cached(stripe, sizeClass);
            }
        }
        out[0] = mallocs;
        out[1] = frees;
        out[2] = cached;
    }

    /** Drops every platform cache; for the allocator's close(), after which none is used again. */
    synchronized void releaseAll() {
        platform.clear();
        table = new ThreadCache[MIN_TABLE];
        publish.accept(table);
    }
}
