package io.segpool.arrow;

import io.segpool.allocator.NativeAllocator;
import io.segpool.stats.MemStats;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.IntVector;

/**
 * The child JVM of {@link CloseUnderLiveBuffersTest}. {@code adapter}: closes the factory and the
 * root under a live vector, then writes and reads every value of it through Arrow's Unsafe path
 * and releases it; prints a line at each step. {@code control}: unmaps a plain allocator under a
 * raw address and writes there through Arrow's {@code MemoryUtil}, which must crash the JVM, so
 * that the test shows it would see a crash.
 */
public final class CloseUnderLiveBuffersMain {

    private static final int ROWS = 1 << 20;

    private CloseUnderLiveBuffersMain() {
    }

    /**
     * Runs one mode.
     *
     * @param args {@code adapter} or {@code control}
     */
    public static void main(String[] args) {
        if (args[0].equals("control")) {
            NativeAllocator allocator = NativeAllocator.create();
            long address = allocator.allocateAddress(4 << 20); // a large block: its own mapping
            allocator.close();
            System.out.println("CONTROL-UNMAPPED");
            MemoryUtil.putLong(address + 8, 42); // onto unmapped memory: SIGSEGV
            System.out.println("CONTROL-SURVIVED");
            return;
        }
        SegpoolArrow memory = SegpoolArrow.create();
        BufferAllocator root = memory.newRootAllocator(Long.MAX_VALUE);
        IntVector ints = new IntVector("ints", root);
        ints.allocateNew(ROWS);
        try {
            memory.close();
            System.out.println("NOT-REFUSED");
        } catch (IllegalStateException e) {
            System.out.println("FACTORY-CLOSE-REFUSED");
        }
        try {
            root.close();
            System.out.println("ROOT-CLOSED");
        } catch (IllegalStateException e) {
            System.out.println("ROOT-CLOSE-REPORTED-LEAK");
        }
        System.gc();
        long sum = 0;
        for (int i = 0; i < ROWS; i++) {
            ints.set(i, i);
        }
        for (int i = 0; i < ROWS; i++) {
            sum += ints.get(i);
        }
        System.out.println("SUM=" + sum);
        ints.close();
        try {
            memory.readMemStats(new MemStats());
            System.out.println("STILL-MAPPED");
        } catch (IllegalStateException e) {
            System.out.println("UNMAPPED-AFTER-LAST-RELEASE");
        }
    }
}
