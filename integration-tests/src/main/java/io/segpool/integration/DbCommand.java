package io.segpool.integration;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code ./segpool db}: the budgets' database workload ({@link DbWorkload}). */
@Command(name = "db", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, sortOptions = false,
        description = "Runs N concurrent queries, each a budget with its own limit and three operator budgets"
                + " (scan, hash-join, sort) allocating 64 B to 16 MiB; every fourth query is planned to exceed"
                + " its budget and fails cleanly, query 1 spills through its listener; prints a per-query table,"
                + " the tree report of a budget leaked on purpose, and Sys, Released and RSS before, at the peak"
                + " and after trim. Exits 1 if any budget passed its limit, a query was refused unplanned, a"
                + " budget stayed open or Inuse is not 0 at the end.")
final class DbCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--queries", paramLabel = "N", defaultValue = "8",
            description = "concurrent queries per run: 1 to 256 (default ${DEFAULT-VALUE})")
    int queries;

    @Option(names = "--threads", paramLabel = "KIND", defaultValue = "both",
            description = "pool (4 worker threads), virtual (a virtual thread per query) or both, one run after the"
                    + " other (default ${DEFAULT-VALUE})")
    String threads;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
            description = "random seed of the operators' sizes (default ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (queries < 1 || queries > 256) {
            throw new ParameterException(spec.commandLine(), "--queries " + queries + ": must be from 1 to 256");
        }
        boolean pool = threads.equals("pool") || threads.equals("both");
        boolean virtual = threads.equals("virtual") || threads.equals("both");
        if (!pool && !virtual) {
            throw new ParameterException(spec.commandLine(), "--threads " + threads + ": must be pool, virtual or both");
        }
        DbWorkload.Result r = DbWorkload.run(queries, pool, virtual, seed, System.out);
        boolean ok = r.overLimitSeen() == 0 && r.refused().equals(r.plannedRefusals()) && r.allClosed()
                && r.inuseAfter() == 0;
        System.out.println(ok ? "db: OK" : "db: FAILED");
        return ok ? 0 : 1;
    }
}
