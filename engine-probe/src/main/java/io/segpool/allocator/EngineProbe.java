package io.segpool.allocator;

import java.util.Arrays;

/**
 * What the jcstress races need of the allocator's engine that the public API does not show: one
 * class's central stack driven directly, a check that a heap offset is a block start, and an
 * allocator whose large spans cannot be unmapped while a test says so. A test seam, not API: it
 * lives in the unpublished {@code segpool-engine-probe}, in the allocator's package on the
 * harness's class path, so the published allocator jar has no such type.
 */
public final class EngineProbe {

    /** The one probe. */
    public static final EngineProbe INSTANCE = new EngineProbe();

    private EngineProbe() {
    }

    /** The size class of a request of {@code size} bytes (1 B to 1 MiB). */
    public int sizeClassOf(long size) {
        return SizeClasses.classOf(size);
    }

    /** Pops {@code n} blocks of class {@code sizeClass} from its central stack into {@code slots[start..start+n)} (heap offsets), carving when short. */
    public void refill(NativeAllocator allocator, int sizeClass, long[] slots, int start, int n) {
        allocator.central(sizeClass).refill(slots, start, n);
    }

    /** Pushes {@code slots[start..start+n)} onto the central stack of class {@code sizeClass}. */
    public void spill(NativeAllocator allocator, int sizeClass, long[] slots, int start, int n) {
        allocator.central(sizeClass).spill(slots, start, n);
    }

    /** A copy of the offsets on the central stack of class {@code sizeClass}, taken under its monitor. */
    public long[] centralBlocks(NativeAllocator allocator, int sizeClass) {
        CentralStack central = allocator.central(sizeClass);
        synchronized (central) {
            return Arrays.copyOf(central.blocks, central.count);
        }
    }

    /** Whether heap offset {@code offset} is the start of a block of class {@code sizeClass}. */
    public boolean isBlockStart(NativeAllocator allocator, int sizeClass, long offset) {
        Heap heap = allocator.heap;
        return heap.classAt(offset) == sizeClass
                && (offset - heap.chunkStart(offset)) % SizeClasses.size(sizeClass) == 0;
    }

    /**
     * The address of heap offset 0: a block at offset {@code o} (as {@link #refill} hands it out)
     * is at {@code heapBase(allocator) + o}, where {@link NativeAllocator#segment(long, long)} views it.
     */
    public long heapBase(NativeAllocator allocator) {
        return allocator.heap.base;
    }

    /** Bytes of one chunk of class {@code sizeClass}: what a trim releases per chunk. */
    public long chunkBytes(int sizeClass) {
        return SizeClasses.blocksPerChunk(sizeClass) * SizeClasses.size(sizeClass);
    }

    /** Blocks a fresh ring of class {@code sizeClass} holds before it spills (a large ring may then grow: {@link #ringSlots}). */
    public int ringCapacity(int sizeClass) {
        return SizeClasses.ringCapacity(sizeClass);
    }

    /** Slots a ring of class {@code sizeClass} has: its capacity, or more for a large ring, which grows into them. */
    public int ringSlots(int sizeClass) {
        return SizeClasses.ringSlots(sizeClass);
    }

    /**
     * An allocator whose arenas refuse to close, as the JDK refuses while a downcall holds a
     * segment ("session is acquired"), for as long as {@code busy} says so: a free large span
     * then cannot be evicted, whoever tries.
     */
    public NativeAllocator createWithBusyArenas(AllocatorConfig config, java.util.function.BooleanSupplier busy) {
        return NativeAllocator.create(config, new MemoryMapper() {
            @Override
            public long map(long length) {
                return OsMemory.INSTANCE.map(length);
            }

            @Override
            public void unmap(long address, long length) {
                OsMemory.INSTANCE.unmap(address, length);
            }

            @Override
            public long reserve(long length) {
                return OsMemory.INSTANCE.reserve(length);
            }

            @Override
            public void commit(long address, long length) {
                OsMemory.INSTANCE.commit(address, length);
            }

            @Override
            public void release(long address, long length) {
                OsMemory.INSTANCE.release(address, length);
            }

            @Override
            public void closeArena(java.lang.foreign.Arena arena) {
                if (busy.getAsBoolean()) {
                    throw new IllegalStateException("Session is acquired by 1 clients (a busy view, simulated)");
                }
                arena.close();
            }
        });
    }
}
