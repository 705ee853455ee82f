package io.segpool.integration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./segpool db}'s workload, checked: no budget ever above its limit (the observer read
 * them throughout), the refused queries exactly the planned ones, every budget closed, Inuse 0 at
 * the end, the leak report naming the leaked budget and its allocation site, and VmRSS after the
 * trim within 64 MiB of the start. A first run warms the JVM (its heap and code cache grow once,
 * which VmRSS would count against the allocator); the second is measured.
 */
@Timeout(120)
class DbWorkloadTest {

    private static final long SLACK = 64L << 20;

    @Test
    void queriesStayInTheirBudgetsAndGiveTheirMemoryBack() throws Exception {
        DbWorkload.run(8, true, true, 1, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        System.gc();
        DbWorkload.Result pool = run(true, false, 2);
        checkQueries(pool, "pool");
        assertTrue(pool.rssAfter() - pool.rssStart() < SLACK, "VmRSS start " + (pool.rssStart() >> 20) + " MiB, peak "
                + (pool.rssPeak() >> 20) + " MiB, after trim " + (pool.rssAfter() >> 20) + " MiB");
        assertTrue(pool.rssPeak() - pool.rssStart() > SLACK, "the queries' pages were resident at the peak");
        // Virtual threads: the same checks but RSS, since trim() leaves the blocks in the virtual
        // threads' shared stripes (see the README's budgets section): the run prints how much.
        checkQueries(run(false, true, 3), "virtual");
    }

    private static DbWorkload.Result run(boolean pool, boolean virtual, long seed) throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        DbWorkload.Result r = DbWorkload.run(8, pool, virtual, seed, new PrintStream(printed, true, StandardCharsets.UTF_8));
        System.out.print(printed.toString(StandardCharsets.UTF_8));
        return r;
    }

    private static void checkQueries(DbWorkload.Result r, String kind) {
        assertEquals(8, r.queries().size());
        assertTrue(r.observations() > 0, "the observer ran");
        assertEquals(0, r.overLimitSeen(), "a budget above its limit");
        Set<String> expected = new TreeSet<>(Set.of("db/" + kind + "-query-3", "db/" + kind + "-query-7"));
        assertEquals(expected, r.plannedRefusals());
        assertEquals(expected, r.refused(), "exactly the planned queries refused");
        assertEquals(1, r.queries().stream().filter(q -> q.outcome() == DbWorkload.Outcome.SPILLED).count(),
                "query 1 spilled");
        assertTrue(r.allClosed());
        assertEquals(0, r.inuseAfter());
        assertTrue(r.leakReport().contains("Memory was leaked by budget db/leaky"), r.leakReport());
        assertTrue(r.leakReport().contains("DbWorkload.leakOne"), r.leakReport());
    }
}
