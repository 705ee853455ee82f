package io.segpool.stats.internal;

import io.segpool.stats.MemStats;

import java.lang.invoke.MethodHandles;

/**
 * Where {@link MemStats} leaves its {@link MemStatsWriter}, once, as its class initializes (the
 * JDK's {@code SharedSecrets} pattern): the writer's implementation lives beside MemStats' private
 * fields, and this package is exported only to the modules that fill snapshots.
 */
public final class MemStatsAccess {

    private static volatile MemStatsWriter writer;

    private MemStatsAccess() {
    }

    /**
     * Installs the writer; {@link MemStats} calls this from its static initializer, and nothing else
     * may.
     *
     * @param implementation the writer
     * @throws NullPointerException if {@code implementation} is null
     * @throws IllegalStateException if a writer is installed already
     */
    public static synchronized void install(MemStatsWriter implementation) {
        if (implementation == null) {
            throw new NullPointerException("implementation");
        }
        if (writer != null) {
            throw new IllegalStateException("the MemStats writer is installed already: only MemStats installs it");
        }
        writer = implementation;
    }

    static MemStatsWriter writer() {
        MemStatsWriter current = writer;
        if (current == null) {
            try {
                MethodHandles.lookup().ensureInitialized(MemStats.class);
            } catch (IllegalAccessException e) {
                throw new AssertionError("MemStats is public in an exported package", e);
            }
            current = writer;
        }
        return current;
    }
}
