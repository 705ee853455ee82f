package io.segpool.arrow;

import io.segpool.stats.MemStats;

import org.apache.arrow.memory.AllocationManager;
import org.apache.arrow.memory.DefaultAllocationManagerOption;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Makes segpool Arrow's default allocation manager for a run of Arrow's own test suites, and
 * fails the run unless segpool really served them. Active only where the system property
 * {@code segpool.arrow.suite} names the suite (the pom's scan executions set it); the module's
 * own tests make their factories explicitly. {@code -Dsegpool.arrow.baseline=true} leaves Arrow's
 * default alone, to see how the same suites fare without segpool.
 *
 * <p>Arrow resolves its default once and caches it in a private static field of
 * {@link DefaultAllocationManagerOption}; setting that field before any allocator exists is the
 * one switch that Arrow's tests cannot bypass: a test jar's {@code DefaultAllocationManagerFactory}
 * class (memory-core's tests jar has one) is only consulted while the field is still empty, and
 * the system property {@code arrow.allocation.manager.type} knows only Arrow's own managers.
 *
 * <p>At the end the listener checks that the field still holds this factory and that the
 * factory's Mallocs reached {@code segpool.arrow.minMallocs}, writes the figures to
 * {@code target/segpool-arrow-<suite>.txt} and throws otherwise, which fails the Surefire run.
 */
public final class SegpoolDefaultManager implements LauncherSessionListener {

    private SegpoolArrow memory;
    private String suite;

    /** Instantiated by JUnit's service loader. */
    public SegpoolDefaultManager() {
    }

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        suite = System.getProperty("segpool.arrow.suite");
        if (suite == null || Boolean.getBoolean("segpool.arrow.baseline")) {
            return;
        }
        memory = SegpoolArrow.create();
        try {
            defaultField().set(null, memory);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot set Arrow's default allocation manager", e);
        }
    }

    @Override
    public void launcherSessionClosed(LauncherSession session) {
        if (memory == null) {
            return;
        }
        Object current;
        try {
            current = defaultField().get(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
        MemStats stats = new MemStats();
        memory.readMemStats(stats);
        long min = Long.getLong("segpool.arrow.minMallocs", 1);
        String report = "suite=" + suite + "\nmallocs=" + stats.mallocs() + "\nfrees=" + stats.frees()
                + "\nliveBuffers=" + memory.liveBuffers() + "\ninuse=" + stats.inuse()
                + "\nstillDefault=" + (current == memory) + "\n";
        try {
            Files.writeString(Path.of("target", "segpool-arrow-" + suite + ".txt"), report);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        System.out.println("[segpool-arrow] " + report.replace('\n', ' '));
        if (current != memory || stats.mallocs() < min) {
            throw new AssertionError("Arrow's suite " + suite + " did not run on segpool: " + report
                    + " (at least " + min + " mallocs expected)");
        }
    }

    private static Field defaultField() throws NoSuchFieldException {
        Field field = DefaultAllocationManagerOption.class.getDeclaredField("DEFAULT_ALLOCATION_MANAGER_FACTORY");
        field.setAccessible(true);
        if (field.getType() != AllocationManager.Factory.class) {
            throw new NoSuchFieldException("unexpected type " + field.getType());
        }
        return field;
    }
}
