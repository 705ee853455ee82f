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
 * root's close trims) brings VmRSS back within 32 MiB of the start. Run in a child JVM with a
 * fixed, pre-touched heap, so that RSS moves with native memory alone. Arrow's Unsafe manager
 * runs the same case for comparison (malloc's behaviour, not asserted).
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
    void rssAfterCloseIsWithin32MiBOfTheStart(@TempDir Path dir) throws Exception {
        Map<String, Long> segpool = run(dir, "segpool");
        assertTrue(segpool.get("peak") - segpool.get("start") >= (PeakRssMain.PEAK * 9) / 10,
                "the peak was really resident: " + segpool);
        long over = segpool.get("afterClose") - segpool.get("start");
        assertTrue(over <= SLACK, "RSS after close is " + (over >> 20) + " MiB over the start: " + segpool);
    }
}
