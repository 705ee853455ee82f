package io.segpool.arrow;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * A root allocator on a {@link SegpoolArrow} that trims segpool's free memory when it closes and
 * no buffer of the factory is live: Arrow's users call {@code root.close()} and expect the memory
 * to go (arrow-java #215, #950), and Arrow never calls a trim of its own.
 */
final class SegpoolRootAllocator extends RootAllocator {

    private final SegpoolArrow memory;

    /** Arrow's config type is package-private: it is built here, in the call, and never named. */
    SegpoolRootAllocator(SegpoolArrow memory, long maxAllocation) {
        super(RootAllocator.configBuilder().allocationManagerFactory(memory).maxAllocation(maxAllocation).build());
        this.memory = memory;
    }

    /** Arrow's close (which throws when buffers leaked), then the trim, whether or not it threw. */
    @Override
    public void close() {
        try {
            super.close();
        } finally {
            memory.trimIfIdle();
        }
    }

    @Override
    public String toString() {
        return "SegpoolRootAllocator[" + memory.name() + "] " + ((BufferAllocator) this).getName();
    }
}
