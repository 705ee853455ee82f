package io.segpool.arrow;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * arrow-java #950 on segpool: after a 1 GiB peak of Arrow vectors, closing everything (the
 * root's close trims) leaves at most 32 MiB more resident than unmapping the allocator does: the
 * RSS segpool still holds after a trim (its block-state tables, mostly; see docs/arrow.md).
 * Compared with the unmap rather than with the start, because the JVM's own RSS drifts between
 * the two readings by 5-20 MiB here (JIT code, GC structures), which is not the allocator's.
 * Run in a child JVM with a fixed, pre-touched heap, so that RSS moves with native memory and
 * the JVM alone. Both figures against the start are printed for the record.
 */
class PeakRssTest {

    static final long SLACK = 32L << 20;

    static Map<String, Long> run(Path dir, String manager) throws Exception {
        List<String> command = List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-Xms96m", "-Xmx96m", "-XX:+AlwaysPreTouch", "-XX:-UseAdaptiveSizePolicy",
                "-cp", System.getProperty("java.class.path"), PeakRssMain.class.getName(), manager);
        Path log = dir.resolve(manager + ".txt");
        Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!child.waitFor(120, TimeUnit.SECONDS)) {
            child.destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError(manager + " child did not end in 120 s:\n" + Files.readString(log));
        }
        String output = Files.readString(log);
        assertEquals(0, child.exitValue(), output);
        Map<String, Long> figures = new HashMap<>();
        for (String line : output.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0 && line.substring(eq + 1).matches("\\d+")) {
                figures.put(line.substring(0, eq), Long.parseLong(line.substring(eq + 1)));
            }
        }
        System.out.println("[segpool-arrow #950] " + manager + " " + figures);
        return figures;
    }

    @Test
    void segpoolHoldsAtMost32MiBAfterCloseAndTrim(@TempDir Path dir) throws Exception {
        Map<String, Long> segpool = run(dir, "segpool");
        assertTrue(segpool.get("peak") - segpool.get("start") >= (PeakRssMain.PEAK * 9) / 10,
                "the peak was really resident: " + segpool);
        long residue = segpool.get("afterClose") - segpool.get("afterUnmap");
        assertTrue(residue <= SLACK, "segpool holds " + (residue >> 20) + " MiB after close and trim: " + segpool);
        assertTrue(segpool.get("released") >= PeakRssMain.PEAK - (1L << 20), "trim released the peak: " + segpool);
    }
}
