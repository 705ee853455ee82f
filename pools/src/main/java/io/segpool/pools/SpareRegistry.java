package io.segpool.pools;

import io.segpool.allocator.NativeAllocator;
import io.segpool.allocator.ThreadCache;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The kept segments of a {@link StackPool}'s live stacks, so that {@link StackPool#trim()} can
 * give them back from any thread. A stack registers its {@link SegmentCache} when it is made and
 * leaves when it closes; the registry holds the stack weakly and the slot strongly, so a stack
 * dropped without a close does not stay reachable, while its spare is still given back: at the
 * next trim, or the next stack made, once the collector has cleared it. Registering and leaving
 * are per stack, never per frame.
 */
final class SpareRegistry {

    private final NativeAllocator allocator;
    private final long request;
    private final Set<Entry> live = ConcurrentHashMap.newKeySet();
    private final ReferenceQueue<SegmentedStack> dropped = new ReferenceQueue<>();

    /** A live stack's slot, held strongly: it outlives the stack until its spare went back. */
    static final class Entry extends WeakReference<SegmentedStack> {
        final SegmentCache spare;

        Entry(SegmentedStack stack, SegmentCache spare, ReferenceQueue<SegmentedStack> queue) {
            super(stack, queue);
            this.spare = spare;
        }
    }

    SpareRegistry(NativeAllocator allocator, long request) {
        this.allocator = allocator;
        this.request = request;
    }

    /** Registers {@code stack}'s slot; gives back the spares of stacks collected unclosed first. */
    Entry register(SegmentedStack stack, SegmentCache spare) {
        Reference<? extends SegmentedStack> gone = dropped.poll();
        if (gone != null) {
            freeSpares(gone, false);
        }
        Entry entry = new Entry(stack, spare, dropped);
        live.add(entry);
        return entry;
    }

    /** The stack closed (its spare went back already): it leaves the registry. */
    void leave(Entry entry) {
        live.remove(entry);
        entry.clear(); // no longer enqueued when the stack is collected
    }

    /**
     * Steals every live stack's kept segments and frees them through the calling thread's cache,
     * which is then flushed so that the allocator's trim can reach those blocks, and gives back the
     * kept segments of stacks collected unclosed (their entries leave). Every one is dealt with
     * even if a free throws; returns the bytes given back.
     */
    long freeSpares() {
        return freeSpares(dropped.poll(), true);
    }

    /**
     * {@link #freeSpares()}, starting from {@code gone}, an entry already taken off the queue (or
     * null); with {@code all} false only the collected stacks' spares go back.
     */
    private long freeSpares(Reference<? extends SegmentedStack> gone, boolean all) {
        long freed = 0;
        Throwable failure = null;
        try (ThreadCache cache = allocator.borrowCache()) {
            java.util.Iterator<Entry> each = all ? live.iterator() : java.util.Collections.emptyIterator();
            while (gone != null || each.hasNext()) {
                Entry entry;
                if (gone != null) {
                    entry = (Entry) gone;
                    live.remove(entry);
                    gone = dropped.poll();
                } else {
                    entry = each.next();
                }
                for (int at = 0; at < entry.spare.capacity(); at++) { // the owner's count is not ours to read
                    long address = entry.spare.steal(at);
                    if (address != 0) {
                        try {
                            cache.freeAddress(address, request);
                            freed += request + 1;
                        } catch (RuntimeException | Error e) {
                            failure = Failures.add(failure, e);
                        }
                    }
                }
            }
            if (freed > 0) {
                cache.flush(); // the spares sit in this thread's ring: the trim that follows reaches them
            }
        }
        if (failure != null) {
            throw Failures.propagate(failure);
        }
        return freed;
    }
}
