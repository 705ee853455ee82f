package io.segpool.allocator;

import io.segpool.allocator.internal.EngineAccess;
import io.segpool.allocator.internal.EngineSecrets;

import java.util.Arrays;

/**
 * The allocator's side of the {@link EngineAccess} test seam (see that interface): a thin
 * forwarding to the package-private engine, registered by {@link NativeAllocator}'s static
 * initialiser. Nothing on the allocator's own paths calls it.
 */
final class InternalAccess implements EngineAccess {

    private InternalAccess() {
    }

    /** Registers the one instance with {@link EngineSecrets}. */
    static void register() {
        EngineSecrets.register(new InternalAccess());
    }

    @Override
    public int sizeClassOf(long size) {
        return SizeClasses.classOf(size);
    }

    @Override
    public void refill(NativeAllocator allocator, int sizeClass, long[] slots, int start, int n) {
        allocator.central(sizeClass).refill(slots, start, n);
    }

    @Override
    public void spill(NativeAllocator allocator, int sizeClass, long[] slots, int start, int n) {
        allocator.central(sizeClass).spill(slots, start, n);
    }

    @Override
    public long[] centralBlocks(NativeAllocator allocator, int sizeClass) {
        CentralStack central = allocator.central(sizeClass);
        synchronized (central) {
            return Arrays.copyOf(central.blocks, central.count);
        }
    }

    @Override
    public boolean isBlockStart(NativeAllocator allocator, int sizeClass, long offset) {
        Heap heap = allocator.heap;
        return heap.classAt(offset) == sizeClass
                && (offset - heap.chunkStart(offset)) % SizeClasses.size(sizeClass) == 0;
    }

    @Override
    public long heapBase(NativeAllocator allocator) {
        return allocator.heap.base;
    }

    @Override
    public long chunkBytes(int sizeClass) {
        return SizeClasses.blocksPerChunk(sizeClass) * SizeClasses.size(sizeClass);
    }
}
