package io.segpool.stats;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemStatsTest {

    private static MemStats sample() {
        MemStats stats = new MemStats();
        stats.setSys(4096);
        stats.setInuse(1024);
        stats.setCached(2048);
        stats.setCentral(1024);
        stats.setMallocs(20);
        stats.setFrees(4);
        stats.setThreadCaches(2);
        stats.resetClasses(3);
        stats.setClass(1, 64, 20, 4, 2, 1);
        return stats;
    }

    @Test
    void tableShowsTotalsAndOnlyClassesThatSawBlocks() {
        String table = sample().toString();
        assertTrue(table.lines().anyMatch(line -> line.matches("Sys\\s+4,096")), table);
        assertTrue(table.lines().anyMatch(line -> line.matches("ThreadCaches\\s+2")), table);
        assertTrue(table.lines().anyMatch(line -> line.trim().startsWith("64 ")), table);
        assertEquals(10, table.lines().count(), "8 totals, a header, one class row:\n" + table);
    }

    @Test
    void equalSnapshotsCompareEqualAndAnyChangedCounterDoesNot() {
        assertEquals(sample(), sample());
        MemStats changed = sample();
        changed.setClass(1, 64, 20, 5, 2, 1);
        assertNotEquals(sample(), changed);
    }

    @Test
    void resettingToTheSameClassCountReusesTheRows() {
        MemStats stats = sample();
        stats.resetClasses(3);
        assertEquals(0, stats.classMallocs(1));
        long[] before = rowsOf(stats);
        stats.resetClasses(2);
        assertSame(before, rowsOf(stats), "no new arrays when shrinking or refilling");
        assertThrows(IndexOutOfBoundsException.class, () -> stats.classSize(2));
    }

    @Test
    void startingAFillZeroesThePoolFiguresSoAReusedSnapshotKeepsNoneOfAPoolsRead() {
        MemStats stats = sample();
        stats.setStackSys(8192);
        stats.setStackInuse(4096);
        stats.setDeferSys(1024);
        stats.setDeferInuse(48);
        stats.resetClasses(3); // where every allocator's read starts
        assertEquals(0, stats.stackSys() + stats.stackInuse() + stats.deferSys() + stats.deferInuse());
        assertEquals(4096, stats.sys(), "the totals are the fill's to set");
    }

    private static long[] rowsOf(MemStats stats) {
        try {
            var field = MemStats.class.getDeclaredField("classSize");
            field.setAccessible(true);
            return (long[]) field.get(stats);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }
}
