package io.segpool.example.modular;

import io.segpool.allocator.AllocatorConfig;
import io.segpool.allocator.NativeAllocator;
import io.segpool.allocator.jmx.SegpoolJmx;
import io.segpool.pools.Frame;
import io.segpool.pools.SegmentedStack;
import io.segpool.pools.StackPool;
import io.segpool.stats.MemStats;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Allocates more blocks of one class than a ring holds without freeing (so rings refill from the
 * central stack and the JFR event classes load), frees them, publishes an allocator over JMX
 * (from the allocator's own module: java.management must come from its requires), pushes a stack
 * frame, and checks the MemStats figures. Exits 1 with a message when a figure is off.
 */
public final class Main {

    private static final int BLOCKS = 3 * NativeAllocator.MAX_RING_CAPACITY;
    private static final long SIZE = 64;

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        check(Main.class.getModule().isNamed(), "app runs as a named module");
        check(NativeAllocator.class.getModule().getName().equals("io.segpool.allocator"),
                "the allocator is the named module io.segpool.allocator, not " + NativeAllocator.class.getModule());
        MemStats stats = new MemStats();
        try (NativeAllocator allocator = NativeAllocator.create()) {
            long[] blocks = new long[BLOCKS];
            for (int i = 0; i < BLOCKS; i++) {
                blocks[i] = allocator.allocateAddress(SIZE);
                allocator.segment(blocks[i], SIZE).set(JAVA_LONG, 0, i);
            }
            allocator.readMemStats(stats);
            check(stats.mallocs() == BLOCKS, "mallocs " + stats.mallocs() + " == " + BLOCKS);
            check(stats.inuse() == BLOCKS * SIZE, "Inuse " + stats.inuse() + " == " + BLOCKS * SIZE);
            long refills = 0;
            for (int c = 0; c < stats.classCount(); c++) {
                refills += stats.classRefills(c);
            }
            check(refills > BLOCKS / NativeAllocator.MAX_BATCH - 1, "refills " + refills + " crossed the ring");
            for (int i = 0; i < BLOCKS; i++) {
                check(allocator.segment(blocks[i], SIZE).get(JAVA_LONG, 0) == i, "block " + i + " kept its value");
                allocator.freeAddress(blocks[i], SIZE);
            }
            allocator.readMemStats(stats);
            check(stats.frees() == BLOCKS && stats.inuse() == 0, "frees " + stats.frees() + ", Inuse " + stats.inuse());
            check(stats.sys() == stats.inuse() + stats.cached() + stats.central() + stats.released(),
                    "Sys == Inuse + Cached + Central + Released");
            System.out.println("allocator: " + BLOCKS + " blocks of " + SIZE + " B, " + refills + " refills, Sys "
                    + stats.sys() + " B, Cached " + stats.cached() + " B, Central " + stats.central() + " B");
        }
        try (NativeAllocator named = NativeAllocator.create(AllocatorConfig.defaults().withName("modular-app"));
             SegpoolJmx.Registration jmx = new SegpoolJmx(named).register()) {
            long block = named.allocateAddress(SIZE);
            Object inuse = ManagementFactory.getPlatformMBeanServer().getAttribute(jmx.name(), "Inuse");
            check(Long.valueOf(SIZE).equals(inuse), "the MXBean " + jmx.name() + " reads Inuse " + inuse + " == " + SIZE);
            named.freeAddress(block, SIZE);
            System.out.println("jmx: " + jmx.name() + " Inuse " + inuse + " B");
        }
        try (StackPool pool = StackPool.create(); SegmentedStack stack = pool.newStack()) {
            try (Frame frame = stack.push()) {
                MemorySegment scratch = frame.allocate(1024);
                scratch.set(JAVA_LONG, 0, 42);
                MemStats poolStats = new MemStats();
                pool.readMemStats(poolStats);
                check(poolStats.stackInuse() > 0 && poolStats.stackSys() >= poolStats.stackInuse(),
                        "StackInuse " + poolStats.stackInuse() + " within StackSys " + poolStats.stackSys());
                System.out.println("stack pool: StackSys " + poolStats.stackSys() + " B, StackInuse "
                        + poolStats.stackInuse() + " B");
            }
        }
        System.out.println("modular app OK");
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.err.println("FAIL: " + what);
            System.exit(1);
        }
    }
}
