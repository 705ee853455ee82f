package io.segpool.jcstress;

import io.segpool.allocator.NativeAllocator;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * An imitation of the striped caches that virtual threads share ({@code CacheRegistry}'s stripes),
 * each a {@link ModelRing} over the real central stack, with a busy flag and an owner. It has one
 * correct way in, {@link #tryTake} (a compare-and-set of the flag), and two broken ones, each for
 * one {@code *Broken} variant: {@link #takeUnsafely}, a check-then-set of the flag, and
 * {@link #reclaimUnsafely}, a check-then-set of a dead holder's stripe. Flags and owners are read
 * and written with opaque accesses, so the JIT cannot hoist a read out of a retry loop; only the
 * read-then-write is not atomic.
 */
final class ModelStripes {

    private static final VarHandle BUSY = MethodHandles.arrayElementVarHandle(int[].class);
    private static final VarHandle OWNER = MethodHandles.arrayElementVarHandle(Thread[].class);

    final ModelRing[] rings;
    private final int[] busy;
    private final Thread[] owners;

    ModelStripes(NativeAllocator allocator, SizeCase sizes, int stripes) {
        rings = new ModelRing[stripes];
        for (int i = 0; i < stripes; i++) {
            rings[i] = new ModelRing(allocator, sizes);
        }
        busy = new int[stripes];
        owners = new Thread[stripes];
    }

    /** The correct take of a free stripe: a compare-and-set of its flag. */
    boolean tryTake(int i, Thread me) {
        if (BUSY.compareAndSet(busy, i, 0, 1)) {
            OWNER.setOpaque(owners, i, me);
            return true;
        }
        return false;
    }

    /** Broken: takes the first stripe whose flag reads free, by a read and then a write. */
    int takeUnsafely(Thread me) {
        while (true) {
            for (int i = 0; i < rings.length; i++) {
                if ((int) BUSY.getOpaque(busy, i) == 0) {
                    BUSY.setOpaque(busy, i, 1);
                    OWNER.setOpaque(owners, i, me);
                    return i;
                }
            }
            Thread.yield();
        }
    }

    /**
     * Broken: takes over a stripe whose holder has ended by a read of the owner, a flush of the
     * dead holder's ring, and then a write of the new owner, so two borrowers that both read the
     * dead holder both take the stripe. The correct reclaim is one compare-and-set of the owner
     * from the dead holder to the borrower. Returns false if the holder is alive or none.
     */
    boolean reclaimUnsafely(int i, Thread me) {
        Thread holder = (Thread) OWNER.getOpaque(owners, i);
        if (holder == null || holder.isAlive()) {
            return false;
        }
        rings[i].flush();
        OWNER.setOpaque(owners, i, me);
        return true;
    }

    /** Gives stripe {@code i} back: the owner is cleared before the flag, as the real release does. */
    void release(int i) {
        OWNER.setOpaque(owners, i, null);
        BUSY.setRelease(busy, i, 0);
    }
}
