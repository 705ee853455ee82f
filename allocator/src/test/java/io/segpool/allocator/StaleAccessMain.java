package io.segpool.allocator;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Run in a forked JVM by {@link StaleAccessForkedTest}: touches blocks whose memory went back to
 * the OS (by trim, by a large free, by close). Reading an unmapped address kills the JVM with
 * SIGSEGV, so this process exiting 0 with every line printed is the proof that segpool turns a
 * stale access into an exception (a large block, a closed allocator) or into a read of zeros from
 * memory that was released but stays mapped (a trimmed chunk).
 */
public final class StaleAccessMain {

    private StaleAccessMain() {
    }

    public static void main(String[] args) throws Exception {
        NativeAllocator allocator = NativeAllocator.create();
        MemorySegment[] small = new MemorySegment[1];
        Thread thread = Thread.ofPlatform().start(() -> {
            small[0] = allocator.allocate(8192);
            small[0].set(ValueLayout.JAVA_LONG, 0, 42);
            allocator.free(small[0]);
        });
        if (!thread.join(java.time.Duration.ofSeconds(30))) {
            throw new AssertionError("the allocating thread did not finish in 30 s");
        }
        long trimmed = allocator.trim();
        long stale = small[0].get(ValueLayout.JAVA_LONG, 0);
        if (trimmed == 0 || stale != 0) {
            throw new AssertionError("trimmed block: " + trimmed + " bytes released, stale read " + stale);
        }
        System.out.println("trimmed block (" + trimmed + " bytes released) reads 0");

        // A freed large block waits in the large-span cache, still mapped: a stale access reads it.
        MemorySegment large = allocator.allocate(4 << 20);
        large.set(ValueLayout.JAVA_LONG, 0, 42);
        allocator.free(large);
        if (large.get(ValueLayout.JAVA_LONG, 0) != 42) {
            throw new AssertionError("freed large block: the cached span did not keep its bytes");
        }
        System.out.println("freed large block, cached for reuse, reads what it held");
        // Past the cache's cap (the trim empties it), the span is unmapped: a stale access throws.
        allocator.trim();
        expectRefused("freed large block, unmapped", large.byteSize(), () -> large.set(ValueLayout.JAVA_LONG, 8, 7));

        MemorySegment live = allocator.allocate(64);
        allocator.close();
        expectRefused("block of a closed allocator", 64, () -> live.get(ValueLayout.JAVA_LONG, 0));
        System.out.println("STALE-ACCESS-SURVIVED");
    }

    private static void expectRefused(String what, long bytes, Runnable access) {
        try {
            access.run();
            throw new AssertionError(what + ": a stale access was not refused");
        } catch (IllegalStateException expected) {
            System.out.println("refused " + what + " (" + bytes + " bytes unmapped): " + expected.getMessage());
        }
    }
}
