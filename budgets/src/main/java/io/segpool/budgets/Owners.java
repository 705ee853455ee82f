package io.segpool.budgets;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Which budget of a tree owns each live block: an address-keyed table in {@value #STRIPES}
 * stripes, each an open-addressing hash under its own spin lock, so that frees from any thread
 * find the owner exactly and two threads seldom meet on one lock. The allocator keeps no owner
 * per block, so the budget tree keeps its own record; a tag in the allocator's block-state table
 * would make this table unnecessary (see the README's budgets section).
 *
 * <p>Each stripe also keeps, per budget, the blocks, block bytes and requested bytes that it
 * holds ({@link Budget#counts}), written under the stripe's lock: the budget's exact
 * {@code allocated} figure is their sum, with no shared counter on the hot path.
 */
final class Owners {

    /** Stripes: a power of two; a budget's {@link Budget#counts} holds {@link #STRIDE} longs per stripe. */
    static final int STRIPES = 32;
    /** Longs per stripe in a budget's counts: blocks, block bytes, requested bytes, then padding. */
    static final int STRIDE = 8;

    private final Stripe[] stripes = new Stripe[STRIPES];

    Owners() {
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Stripe();
        }
    }

    private static int mix(long address) {
        long h = (address >>> 4) * 0x9E37_79B9_7F4A_7C15L;
        return (int) (h >>> 32);
    }

    /** Records a new live block; {@code site} is its allocation site or null. */
    void add(long address, Budget owner, long size, long block, Throwable site) {
        int h = mix(address);
        Stripe stripe = stripes[h & (STRIPES - 1)];
        int base = (h & (STRIPES - 1)) * STRIDE;
        stripe.lock();
        try {
            stripe.put(address, owner.id, size, block, site, h >>> 5);
            long[] c = owner.counts;
            c[base]++;
            c[base + 1] += block;
            c[base + 2] += size;
        } finally {
            stripe.unlock();
        }
    }

    /** What {@link #remove} returns when no live block of this tree starts at the address. */
    static final long NOT_FOUND = -1;
    /** What {@link #remove} returns when another budget owns the block (it stays recorded). */
    static final long OTHER_OWNER = -2;

    /**
     * Removes {@code address} if {@code owner} owns it and returns its block size; else
     * {@link #NOT_FOUND} or {@link #OTHER_OWNER}, with nothing changed.
     */
    long remove(long address, Budget owner) {
        int h = mix(address);
        Stripe stripe = stripes[h & (STRIPES - 1)];
        int base = (h & (STRIPES - 1)) * STRIDE;
        stripe.lock();
        try {
            int slot = stripe.find(address, h >>> 5);
            if (slot < 0) {
                return NOT_FOUND;
            }
            if (stripe.owners[slot] != owner.id) {
                return OTHER_OWNER;
            }
            long size = stripe.sizes[slot];
            long block = stripe.blocks[slot];
            stripe.delete(slot);
            long[] c = owner.counts;
            c[base]--;
            c[base + 1] -= block;
            c[base + 2] -= size;
            return block;
        } finally {
            stripe.unlock();
        }
    }

    /** The id ({@link Budget#id}) of the budget that owns the live block at {@code address}, or -1. */
    int ownerOf(long address) {
        int h = mix(address);
        Stripe stripe = stripes[h & (STRIPES - 1)];
        stripe.lock();
        try {
            int slot = stripe.find(address, h >>> 5);
            return slot < 0 ? -1 : stripe.owners[slot];
        } finally {
            stripe.unlock();
        }
    }

    /** Calls {@code visitor} for every live block of {@code owner}, under each stripe's lock in turn. */
    void forEach(Budget owner, BlockVisitor visitor) {
        for (Stripe stripe : stripes) {
            stripe.lock();
            try {
                for (int i = 0; i < stripe.keys.length; i++) {
                    if (stripe.keys[i] != 0 && stripe.owners[i] == owner.id) {
                        visitor.visit(stripe.keys[i], stripe.sizes[i], stripe.blocks[i], stripe.sites[i]);
                    }
                }
            } finally {
                stripe.unlock();
            }
        }
    }

    /** One live block, as {@link #forEach} reports it. */
    interface BlockVisitor {
        void visit(long address, long size, long block, Throwable site);
    }

    /**
     * One stripe: linear probing with backward-shift deletion (no tombstones), resized at half
     * full, under a spin lock: a CAS to take and a release store to give back, one atomic
     * instruction per operation where a monitor takes two (its exit is a CAS too). The critical
     * sections are a few loads and stores; a waiter spins, then yields.
     */
    private static final class Stripe {
        private static final VarHandle LOCKED;

        static {
            try {
                LOCKED = MethodHandles.lookup().findVarHandle(Stripe.class, "locked", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        @SuppressWarnings("unused") // through LOCKED
        private volatile int locked;

        long[] keys = new long[64];
        /** Owners by {@link Budget#id}: an int, so that recording one makes no reference store (no GC barrier). */
        int[] owners = new int[64];
        long[] sizes = new long[64];
        long[] blocks = new long[64];
        Throwable[] sites = new Throwable[64];
        int count;

        void lock() {
            if (!LOCKED.compareAndSet(this, 0, 1)) {
                lockSlow();
            }
        }

        private void lockSlow() {
            for (int spins = 0; !LOCKED.compareAndSet(this, 0, 1); spins++) {
                if (spins < 100) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
        }

        void unlock() {
            LOCKED.setRelease(this, 0);
        }

        int find(long key, int hash) {
            int mask = keys.length - 1;
            for (int i = hash & mask; ; i = (i + 1) & mask) {
                long k = keys[i];
                if (k == key) {
                    return i;
                }
                if (k == 0) {
                    return -1;
                }
            }
        }

        void put(long key, int owner, long size, long block, Throwable site, int hash) {
            if (2 * (count + 1) > keys.length) {
                grow();
            }
            int mask = keys.length - 1;
            int i = hash & mask;
            while (keys[i] != 0) {
                i = (i + 1) & mask;
            }
            keys[i] = key;
            owners[i] = owner;
            sizes[i] = size;
            blocks[i] = block;
            if (site != null) {
                sites[i] = site; // a reference store only with leak tracking on
            }
            count++;
        }

        void delete(int slot) {
            int mask = keys.length - 1;
            int hole = slot;
            for (int i = (slot + 1) & mask; keys[i] != 0; i = (i + 1) & mask) {
                int home = (mix(keys[i]) >>> 5) & mask;
                // Move entry i into the hole when its home is not in (hole, i] cyclically.
                boolean between = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
                if (!between) {
                    keys[hole] = keys[i];
                    owners[hole] = owners[i];
                    sizes[hole] = sizes[i];
                    blocks[hole] = blocks[i];
                    if (sites[i] != null || sites[hole] != null) {
                        sites[hole] = sites[i];
                    }
                    hole = i;
                }
            }
            keys[hole] = 0;
            if (sites[hole] != null) {
                sites[hole] = null;
            }
            count--;
        }

        private void grow() {
            long[] oldKeys = keys;
            int[] oldOwners = owners;
            long[] oldSizes = sizes;
            long[] oldBlocks = blocks;
            Throwable[] oldSites = sites;
            int n = oldKeys.length * 2;
            keys = new long[n];
            owners = new int[n];
            sizes = new long[n];
            blocks = new long[n];
            sites = new Throwable[n];
            count = 0;
            for (int i = 0; i < oldKeys.length; i++) {
                if (oldKeys[i] != 0) {
                    put(oldKeys[i], oldOwners[i], oldSizes[i], oldBlocks[i], oldSites[i], mix(oldKeys[i]) >>> 5);
                }
            }
        }
    }
}
