package io.segpool.stats;

import io.segpool.stats.internal.MemStatsAccess;
import io.segpool.stats.internal.MemStatsWriter;

import java.util.Arrays;
import java.util.Locale;

/**
 * A snapshot of an allocator's memory, filled in place by {@link MemStatsSource#readMemStats}
 * without allocating (the Go runtime's {@code ReadMemStats(&m)}). Reuse one instance per reader.
 *
 * <p>All figures are bytes unless named a count. At a quiet moment (no allocate or free in flight)
 * the allocator's invariant holds exactly:
 * <pre>{@code sys() == inuse() + cached() + central() + released()}</pre>
 * While other threads run, each figure is read without stopping them, so the sum may be off by
 * the blocks that moved during the read.
 *
 * <p>Only segpool's allocator and pools fill a snapshot; a reader only reads.
 */
public final class MemStats {

    static {
        MemStatsAccess.install(new Writer());
    }

    private long sys;
    private long inuse;
    private long mallocs;
    private long frees;
    private long cached;
    private long central;
    private long released;
    private long threadCaches;
    private long stackSys;
    private long stackInuse;
    private long deferSys;
    private long deferInuse;

    private int classCount;
    private long[] classSize = new long[0];
    private long[] classMallocs = new long[0];
    private long[] classFrees = new long[0];
    private long[] classRefills = new long[0];
    private long[] classSpills = new long[0];
    private int[] classRingCapacity = new int[0];
    private int[] classBatch = new int[0];
    private long[] classChunkBytes = new long[0];

    /** Makes an empty snapshot: every figure 0 and no size classes, until a {@code readMemStats} fills it. */
    public MemStats() {
    }

    /** {@return bytes of memory mapped from the OS and not yet given back: every byte counted below} */
    public long sys() { return sys; }

    /** {@return bytes of blocks handed out and not yet freed, counted at their class size (or mapped size for large blocks)} */
    public long inuse() { return inuse; }

    /** {@return the number of blocks handed out since the allocator was made; {@code mallocs() - frees()} blocks are live} */
    public long mallocs() { return mallocs; }

    /** {@return the number of blocks freed since the allocator was made} */
    public long frees() { return frees; }

    /**
     * {@return bytes of free blocks held in thread ring caches} A ring holds at most
     * {@link #classRingCapacity(int)} blocks of its class: up to 32 blocks and up to 256 KiB. The
     * rings of the classes above 64 KiB may grow past that to four blocks each, while one thread's
     * growth over all of them stays within 4 MiB; a flush of the cache (the owner's, an ended
     * thread's reclaim, a trim of the idle virtual-thread stripes) gives the growth back. So one thread holds at most the
     * sum of its rings' capacities plus 4 MiB.
     */
    public long cached() { return cached; }

    /** {@return bytes of free blocks held by the central stacks, including chunk space not yet carved into batches} */
    public long central() { return central; }

    /** {@return bytes still mapped whose physical pages were given back to the OS (they come back zeroed on touch)} */
    public long released() { return released; }

    /** {@return the number of thread caches alive now: one per platform thread that allocated, plus the shared virtual-thread caches} */
    public long threadCaches() { return threadCaches; }

    /**
     * {@return bytes obtained from the OS for stack segments, free ones in caches and central stacks
     * included (Go's {@code StackSys})} Filled by a stack pool; 0 otherwise.
     */
    public long stackSys() { return stackSys; }

    /** {@return bytes of stack segments handed out and not yet returned (Go's {@code StackInuse})} */
    public long stackInuse() { return stackInuse; }

    /**
     * {@return bytes obtained from the OS for defer blocks, free ones included}
     * Filled by a defer pool; 0 otherwise.
     */
    public long deferSys() { return deferSys; }

    /**
     * {@return bytes of defer blocks handed out to scopes: those holding a pending deferred action
     * and the spares the scopes keep} Filled by a defer pool; 0 otherwise.
     */
    public long deferInuse() { return deferInuse; }

    /** {@return the number of size classes in {@link #classSize(int)} and its siblings} */
    public int classCount() { return classCount; }

    /**
     * {@return the block size of class {@code i}, in bytes}
     *
     * @param i the class index, from 0 to {@link #classCount()} - 1
     * @throws IndexOutOfBoundsException if {@code i} is outside that range
     */
    public long classSize(int i) { return classSize[checkClass(i)]; }

    /**
     * {@return the number of blocks of class {@code i} handed out}
     *
     * @param i the class index, from 0 to {@link #classCount()} - 1
     * @throws IndexOutOfBoundsException if {@code i} is outside that range
     */
    public long classMallocs(int i) { return classMallocs[checkClass(i)]; }

    /**
     * {@return the number of blocks of class {@code i} freed}
     *
     * @param i the class index, from 0 to {@link #classCount()} - 1
     * @throws IndexOutOfBoundsException if {@code i} is outside that range
     */
    public long classFrees(int i) { return classFrees[checkClass(i)]; }

    /**
     * {@return the number of batches of class {@code i} that thread caches took from the central
     * stack} A batch is {@link #classBatch(int)} blocks: half a ring.
     *
     * @param i the class index, from 0 to {@link #classCount()} - 1
     * @throws IndexOutOfBoundsException if {@code i} is outside that range
     */
    public long classRefills(int i) { return classRefills[checkClass(i)]; }

    /**
     * {@return the number of batches of class {@code i} that thread caches gave back to the central
     * stack} A batch is {@link #classBatch(int)} blocks: half a ring.
     *
     * @param i the class index, from 0 to {@link #classCount()} - 1
     * @throws IndexOutOfBoundsException if {@code i} is outside that range
     */
    public long classSpills(int i) { return classSpills[checkClass(i)]; }

    /**
     * Sets {@link #sys()}; for the allocator or pool that fills this snapshot.
     *
     * @param value the new figure
     */
    void setSys(long value) { sys = value; }

    /**
     * Sets {@link #inuse()}; for the allocator or pool that fills this snapshot.
     *
     * @param value the new figure
     */
    void setInuse(long value) { inuse = value; }

    /**
     * Sets {@link #mallocs()}; for the allocator or pool that fills this snapshot.
     *
     * @param value the new figure
     */
    void setMallocs(long value) { mallocs = value; }

    /**
     * Sets {@link #frees()}; for the allocator or pool that fills this snapshot.
     *
     * @param value the new figure
     */
    void setFrees(long value) { frees = value; }

    /**
     * Sets {@link #cached()}; for the allocator or pool that fills this snapshot.
     *
     * @param value the new figure
     */
    void setCached(long value) { cached = value; }

    /**
     * Sets {@link #central()}; for the allocator or pool that fills this snapshot.
     *
     * @param value the new figure
     */
    void setCentral(long value) { central = value; }

    /**
     * Sets {@link #released()}; for the allocator or pool that fills this snapshot.
     *
     * @param value the new figure
     */
    void setReleased(long value) { released = value; }

    /**
     * Sets {@link #threadCaches()}; for the allocator or pool that fills this snapshot.
     *
     * @param value the new figure
     */
    void setThreadCaches(long value) { threadCaches = value; }

    /**
     * Sets {@link #stackSys()}; for the allocator or pool that fills this snapshot.
     *
     * @param value the new figure
     */
    void setStackSys(long value) { stackSys = value; }

    /**
     * Sets {@link #stackInuse()}; for the allocator or pool that fills this snapshot.
     *
     * @param value the new figure
     */
    void setStackInuse(long value) { stackInuse = value; }

    /**
     * Sets {@link #deferSys()}; for the allocator or pool that fills this snapshot.
     *
     * @param value the new figure
     */
    void setDeferSys(long value) { deferSys = value; }

    /**
     * Sets {@link #deferInuse()}; for the allocator or pool that fills this snapshot.
     *
     * @param value the new figure
     */
    void setDeferInuse(long value) { deferInuse = value; }

    /**
     * Starts a fill: sets the number of size classes and clears their rows, and zeroes the four
     * pool figures, which only a pool's read sets again. An allocator's read starts here, so it
     * leaves no pool figure of an earlier read behind: {@link MemStatsSource#readMemStats} fills
     * every field. Grows the arrays only the first time a snapshot sees this many classes, so a
     * reused snapshot is filled without allocating.
     *
     * @param count the number of size classes, 0 or more
     * @throws IllegalArgumentException if {@code count} is negative
     */
    void resetClasses(int count) {
        if (count < 0) {
            throw new IllegalArgumentException("class count " + count + " is negative");
        }
        if (classSize.length < count) {
            classSize = new long[count];
            classMallocs = new long[count];
            classFrees = new long[count];
            classRefills = new long[count];
            classSpills = new long[count];
            classRingCapacity = new int[count];
            classBatch = new int[count];
            classChunkBytes = new long[count];
        }
        classCount = count;
        stackSys = 0;
        stackInuse = 0;
        deferSys = 0;
        deferInuse = 0;
        Arrays.fill(classSize, 0, count, 0);
        Arrays.fill(classMallocs, 0, count, 0);
        Arrays.fill(classFrees, 0, count, 0);
        Arrays.fill(classRefills, 0, count, 0);
        Arrays.fill(classSpills, 0, count, 0);
        Arrays.fill(classRingCapacity, 0, count, 0);
        Arrays.fill(classBatch, 0, count, 0);
        Arrays.fill(classChunkBytes, 0, count, 0);
    }

    /**
     * Sets one class row's bounds; {@link #resetClasses(int)} must have made room for it.
     *
     * @param i the class index
     * @param ringCapacity the most free blocks of the class one thread's ring holds
     * @param batch the blocks a ring trades with the central stack at once
     * @param chunkBytes the bytes mapped for the class at once
     */
    void setClassLimits(int i, int ringCapacity, int batch, long chunkBytes) {
        checkClass(i);
        classRingCapacity[i] = ringCapacity;
        classBatch[i] = batch;
        classChunkBytes[i] = chunkBytes;
    }

    /**
     * Sets one class row; {@link #resetClasses(int)} must have made room for it.
     *
     * @param i the class index, from 0 to {@link #classCount()} - 1
     * @param size the block size of the class, in bytes
     * @param mallocs the blocks of the class handed out
     * @param frees the blocks of the class freed
     * @param refills the batches the thread caches took from the central stack
     * @param spills the batches the thread caches gave back to the central stack
     * @throws IndexOutOfBoundsException if {@code i} is outside that range
     */
    void setClass(int i, long size, long mallocs, long frees, long refills, long spills) {
        checkClass(i);
        classSize[i] = size;
        classMallocs[i] = mallocs;
        classFrees[i] = frees;
        classRefills[i] = refills;
        classSpills[i] = spills;
    }

    /**
     * The most free blocks of class {@code i} one thread's ring holds: 32 up to 8 KiB, fewer above
     * so that a ring holds at most 256 KiB (or one block). A ring of a class above 64 KiB starts
     * there and may grow to four blocks within its thread's 4 MiB budget (see {@link #cached()}).
     *
     * @param i the class index, 0 to {@link #classCount()} - 1
     * @return the ring capacity in blocks
     * @throws IndexOutOfBoundsException if {@code i} is outside that range
     */
    public int classRingCapacity(int i) { return classRingCapacity[checkClass(i)]; }

    /**
     * The blocks a ring of class {@code i} takes from or gives to the central stack at once.
     *
     * @param i the class index, 0 to {@link #classCount()} - 1
     * @return the batch in blocks
     * @throws IndexOutOfBoundsException if {@code i} is outside that range
     */
    public int classBatch(int i) { return classBatch[checkClass(i)]; }

    /**
     * The bytes mapped for class {@code i} at once: one chunk.
     *
     * @param i the class index, 0 to {@link #classCount()} - 1
     * @return the chunk length in bytes
     * @throws IndexOutOfBoundsException if {@code i} is outside that range
     */
    public long classChunkBytes(int i) { return classChunkBytes[checkClass(i)]; }

    private int checkClass(int i) {
        if (i < 0 || i >= classCount) {
            throw new IndexOutOfBoundsException("size class " + i + " is outside 0.." + (classCount - 1));
        }
        return i;
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof MemStats that)) {
            return false;
        }
        if (sys != that.sys || inuse != that.inuse || mallocs != that.mallocs || frees != that.frees
                || cached != that.cached || central != that.central || released != that.released
                || threadCaches != that.threadCaches || classCount != that.classCount
                || stackSys != that.stackSys || stackInuse != that.stackInuse
                || deferSys != that.deferSys || deferInuse != that.deferInuse) {
            return false;
        }
        return Arrays.equals(classSize, 0, classCount, that.classSize, 0, classCount)
                && Arrays.equals(classMallocs, 0, classCount, that.classMallocs, 0, classCount)
                && Arrays.equals(classFrees, 0, classCount, that.classFrees, 0, classCount)
                && Arrays.equals(classRefills, 0, classCount, that.classRefills, 0, classCount)
                && Arrays.equals(classSpills, 0, classCount, that.classSpills, 0, classCount)
                && Arrays.equals(classRingCapacity, 0, classCount, that.classRingCapacity, 0, classCount)
                && Arrays.equals(classBatch, 0, classCount, that.classBatch, 0, classCount)
                && Arrays.equals(classChunkBytes, 0, classCount, that.classChunkBytes, 0, classCount);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(sys) * 31 + Long.hashCode(inuse) * 17 + Long.hashCode(mallocs) + Long.hashCode(frees);
    }

    /** A readable table: the totals, then one row per class that has seen a block. */
    @Override
    public String toString() {
        StringBuilder out = new StringBuilder(512);
        out.append(String.format(Locale.ROOT, "%-14s %,16d%n", "Sys", sys));
        out.append(String.format(Locale.ROOT, "%-14s %,16d%n", "Inuse", inuse));
        out.append(String.format(Locale.ROOT, "%-14s %,16d%n", "Cached", cached));
        out.append(String.format(Locale.ROOT, "%-14s %,16d%n", "Central", central));
        out.append(String.format(Locale.ROOT, "%-14s %,16d%n", "Released", released));
        out.append(String.format(Locale.ROOT, "%-14s %,16d%n", "Mallocs", mallocs));
        out.append(String.format(Locale.ROOT, "%-14s %,16d%n", "Frees", frees));
        out.append(String.format(Locale.ROOT, "%-14s %,16d%n", "ThreadCaches", threadCaches));
        if (stackSys != 0 || stackInuse != 0) {
            out.append(String.format(Locale.ROOT, "%-14s %,16d%n", "StackSys", stackSys));
            out.append(String.format(Locale.ROOT, "%-14s %,16d%n", "StackInuse", stackInuse));
        }
        if (deferSys != 0 || deferInuse != 0) {
            out.append(String.format(Locale.ROOT, "%-14s %,16d%n", "DeferSys", deferSys));
            out.append(String.format(Locale.ROOT, "%-14s %,16d%n", "DeferInuse", deferInuse));
        }
        out.append(String.format(Locale.ROOT, "%10s %14s %14s %10s %10s %5s %5s %10s%n", "class", "mallocs", "frees",
                "refills", "spills", "ring", "batch", "chunk"));
        for (int i = 0; i < classCount; i++) {
            if (classMallocs[i] != 0 || classFrees[i] != 0 || classRefills[i] != 0 || classSpills[i] != 0) {
                out.append(String.format(Locale.ROOT, "%10d %,14d %,14d %,10d %,10d %5d %5d %,10d%n",
                        classSize[i], classMallocs[i], classFrees[i], classRefills[i], classSpills[i],
                        classRingCapacity[i], classBatch[i], classChunkBytes[i]));
            }
        }
        return out.toString();
    }

    /** The mutators for {@link MemStatsWriter}: segpool's modules fill snapshots through it. */
    private static final class Writer implements MemStatsWriter {
        @Override public void setSys(MemStats stats, long value) { stats.setSys(value); }
        @Override public void setInuse(MemStats stats, long value) { stats.setInuse(value); }
        @Override public void setMallocs(MemStats stats, long value) { stats.setMallocs(value); }
        @Override public void setFrees(MemStats stats, long value) { stats.setFrees(value); }
        @Override public void setCached(MemStats stats, long value) { stats.setCached(value); }
        @Override public void setCentral(MemStats stats, long value) { stats.setCentral(value); }
        @Override public void setReleased(MemStats stats, long value) { stats.setReleased(value); }
        @Override public void setThreadCaches(MemStats stats, long value) { stats.setThreadCaches(value); }

        @Override
        public void setStack(MemStats stats, long sys, long inuse) {
            stats.setStackSys(sys);
            stats.setStackInuse(inuse);
        }

        @Override
        public void setDefer(MemStats stats, long sys, long inuse) {
            stats.setDeferSys(sys);
            stats.setDeferInuse(inuse);
        }

        @Override public void resetClasses(MemStats stats, int count) { stats.resetClasses(count); }

        @Override
        public void setClass(MemStats stats, int i, long size, long mallocs, long frees, long refills, long spills) {
            stats.setClass(i, size, mallocs, frees, refills, spills);
        }

        @Override
        public void setClassLimits(MemStats stats, int i, int ringCapacity, int batch, long chunkBytes) {
            stats.setClassLimits(i, ringCapacity, batch, chunkBytes);
        }
    }
}
