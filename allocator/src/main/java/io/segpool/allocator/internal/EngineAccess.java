package io.segpool.allocator.internal;

import io.segpool.allocator.NativeAllocator;

/**
 * What the jcstress races need of the allocator's engine that the public API does not show: one
 * class's central stack driven directly, and a check that a heap offset is a block start. This is
 * a test seam, not API: the package is not exported by the {@code io.segpool.allocator} module, so
 * only code on the class path (the jcstress harness) reaches it. The one implementation is a
 * package-private class of {@code io.segpool.allocator}, registered when {@link NativeAllocator}
 * initialises; get it with {@link EngineSecrets#engineAccess()}.
 */
public interface EngineAccess {

    /** The size class of a request of {@code size} bytes (1 B to 1 MiB). */
    int sizeClassOf(long size);

    /** Pops {@code n} blocks of class {@code sizeClass} from its central stack into {@code slots[start..start+n)} (heap offsets), carving when short. */
    void refill(NativeAllocator allocator, int sizeClass, long[] slots, int start, int n);

    /** Pushes {@code slots[start..start+n)} onto the central stack of class {@code sizeClass}. */
    void spill(NativeAllocator allocator, int sizeClass, long[] slots, int start, int n);

    /** A copy of the offsets on the central stack of class {@code sizeClass}, taken under its monitor. */
    long[] centralBlocks(NativeAllocator allocator, int sizeClass);

    /** Whether heap offset {@code offset} is the start of a block of class {@code sizeClass}. */
    boolean isBlockStart(NativeAllocator allocator, int sizeClass, long offset);

    /**
     * The address of heap offset 0: a block at offset {@code o} (as {@link #refill} hands it out)
     * is at {@code heapBase(allocator) + o}, where {@link NativeAllocator#segment(long, long)} views it.
     */
    long heapBase(NativeAllocator allocator);

    /** Bytes of one chunk of class {@code sizeClass}: what a trim releases per chunk. */
    long chunkBytes(int sizeClass);
}
