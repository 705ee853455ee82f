package io.segpool.example.arrow;

import io.segpool.arrow.SegpoolArrow;
import io.segpool.stats.MemStats;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Writes and reads an Arrow buffer served by segpool from named modules, and checks that segpool
 * counted it and took it back. Exits 1 with a message when a figure is off.
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        check(SegpoolArrow.class.getModule().getName().equals("io.segpool.arrow"), "io.segpool.arrow is a named module");
        check(ArrowBuf.class.getModule().getName().equals("org.apache.arrow.memory.core"), "Arrow's memory core is named");
        MemStats stats = new MemStats();
        try (SegpoolArrow memory = SegpoolArrow.create();
             BufferAllocator root = memory.newRootAllocator(Long.MAX_VALUE)) {
            try (ArrowBuf buf = root.buffer(1 << 16)) {
                for (long at = 0; at < buf.capacity(); at += 8) {
                    buf.setLong(at, at);
                }
                check(buf.getLong(buf.capacity() - 8) == buf.capacity() - 8, "the buffer reads back");
                check(buf.memoryAddress() % 64 == 0, "64-byte aligned");
            }
            memory.readMemStats(stats);
            check(stats.mallocs() == 1 && stats.frees() == 1 && stats.inuse() == 0, "one block, freed: " + stats);
        }
        System.out.println("arrow: mallocs=" + stats.mallocs() + " frees=" + stats.frees());
        System.out.println("modular arrow app OK");
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.err.println("FAIL: " + what);
            System.exit(1);
        }
    }
}
