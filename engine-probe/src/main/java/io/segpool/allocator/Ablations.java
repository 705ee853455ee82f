package io.segpool.allocator;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The benchmarks' ablations of the thread caches, the "before" states of the seeds, built beside
 * the allocator instead of inside it (the shipped rings carry no branch for them):
 * <ul>
 *   <li>{@link #noCache}: no ring at all, every allocation and free takes the class's central
 *   lock for one block (the Go "stack contention" commit's "before": a lock per operation);
 *   <li>{@link #unbounded}: a cache whose frees are kept by the freeing thread forever and reused
 *   only by it (the Go "bound defer pools" commit's "before": a thread that only frees grows without bound, and a thread
 *   that only allocates maps new memory).
 * </ul>
 * Each {@link Pair} belongs to the thread that uses it (one per benchmark thread, one per side of
 * a hand-off). Blocks go through the same block-state checks as the allocator's own paths.
 */
public final class Ablations {

    /** The modes by name, for the memory harness: {@code bounded} (segpool itself), {@code none}, {@code unbounded}. */
    public static final String[] MODES = {"bounded", "none", "unbounded"};

    private Ablations() {
    }

    /** An allocate/free pair as a benchmark drives it: segpool's own cache, or an ablation of it. */
    public interface Pair {
        /** {@code size} bytes; a class size (at most 1 MiB). */
        MemorySegment allocate(long size);

        /** Frees what {@link #allocate} returned. */
        void free(MemorySegment segment);

        /** {@link #allocate} by address. */
        long allocateAddress(long size);

        /** {@link #free} by address and size. */
        void freeAddress(long address, long size);
    }

    /** The pair for the mode named {@code mode} (one of {@link #MODES}) over {@code allocator}, for the calling thread. */
    public static Pair pair(String mode, NativeAllocator allocator) {
        return switch (mode) {
            case "bounded" -> bounded(allocator);
            case "none" -> noCache(allocator);
            case "unbounded" -> unbounded(allocator);
            default -> throw new IllegalArgumentException("ablation mode " + mode + " is not one of " + Arrays.toString(MODES));
        };
    }

    /** segpool itself: the allocator's own calls. */
    public static Pair bounded(NativeAllocator allocator) {
        return new Pair() {
            public MemorySegment allocate(long size) {
                return allocator.allocate(size);
            }

            public void free(MemorySegment segment) {
                allocator.free(segment);
            }

            public long allocateAddress(long size) {
                return allocator.allocateAddress(size);
            }

            public void freeAddress(long address, long size) {
                allocator.freeAddress(address, size);
            }
        };
    }

    /** No thread cache: one block at a time from the central stack, under its lock. */
    public static Pair noCache(NativeAllocator allocator) {
        return new Direct(allocator);
    }

    /** Frees kept forever by the freeing thread. */
    public static Pair unbounded(NativeAllocator allocator) {
        return new Hoard(allocator);
    }

    /** {@link #noCache}: the central stack per call, with the block-state checks. */
    private static final class Direct implements Pair {
        private final NativeAllocator allocator;
        private final Heap heap;
        private final long[] slot = new long[1];

        Direct(NativeAllocator allocator) {
            this.allocator = allocator;
            this.heap = allocator.heap;
        }

        public MemorySegment allocate(long size) {
            return heap.all.asSlice(take(size), size);
        }

        public long allocateAddress(long size) {
            return heap.base + take(size);
        }

        private long take(long size) {
            int sizeClass = classOf(size);
            allocator.central(sizeClass).refill(slot, 0, 1);
            BlockState.handOut(heap.all, heap.intTable, heap.byteTable, sizeClass, slot[0], size);
            return slot[0];
        }

        public void free(MemorySegment segment) {
            give(segment.address() - heap.base, segment.byteSize());
        }

        public void freeAddress(long address, long size) {
            give(address - heap.base, size);
        }

        private void give(long offset, long size) {
            int sizeClass = classOf(size);
            if (Long.compareUnsigned(offset, heap.topAcquire()) >= 0
                    || !BlockState.free(heap.all, heap.intTable, heap.byteTable, sizeClass, offset, size)) {
                throw new IllegalArgumentException("free: 0x" + Long.toHexString(heap.base + offset) + " (" + size
                        + " bytes) is not a block this ablation handed out with that size");
            }
            slot[0] = offset;
            allocator.central(sizeClass).spill(slot, 0, 1);
        }
    }

    /**
     * {@link #unbounded}: a per-class stack of this thread's frees that only grows. A freed block
     * never goes back to the allocator, which keeps counting it in use; this thread hands it out
     * again from the stack before it asks the allocator for more. (Frees are not checked here:
     * the ablation models the cache's memory, not its refusals.)
     */
    private static final class Hoard implements Pair {
        private final NativeAllocator allocator;
        private final long[][] kept = new long[SizeClasses.count()][];
        private final int[] count = new int[SizeClasses.count()];

        Hoard(NativeAllocator allocator) {
            this.allocator = allocator;
        }

        public MemorySegment allocate(long size) {
            return allocator.segment(allocateAddress(size), size);
        }

        public long allocateAddress(long size) {
            int sizeClass = classOf(size);
            return count[sizeClass] == 0 ? allocator.allocateAddress(SizeClasses.size(sizeClass))
                    : kept[sizeClass][--count[sizeClass]];
        }

        public void free(MemorySegment segment) {
            freeAddress(segment.address(), segment.byteSize());
        }

        public void freeAddress(long address, long size) {
            int sizeClass = classOf(size);
            long[] stack = kept[sizeClass];
            if (stack == null || count[sizeClass] == stack.length) {
                stack = kept[sizeClass] = stack == null ? new long[64] : Arrays.copyOf(stack, 2 * stack.length);
            }
            stack[count[sizeClass]++] = address;
        }
    }

    private static int classOf(long size) {
        if (size < 0 || size > SizeClasses.MAX_SIZE) {
            throw new IllegalArgumentException("size " + size + ": the ablations serve class sizes, 0 to "
                    + SizeClasses.MAX_SIZE);
        }
        return SizeClasses.classOf(size);
    }
}
