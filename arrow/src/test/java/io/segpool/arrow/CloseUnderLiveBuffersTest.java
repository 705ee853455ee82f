package io.segpool.arrow;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Closing the factory and the root under a live Arrow vector, which Arrow then writes and reads
 * through {@code sun.misc.Unsafe}, in a child JVM: a SIGSEGV there would kill the test JVM. The
 * control unmaps under a raw address on purpose and must crash, so a crash would be seen.
 */
class CloseUnderLiveBuffersTest {

    private static final long TIMEOUT_S = 60;

    private static Child run(Path dir, String mode) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.addAll(List.of("--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-Xmx512m", "-XX:-CreateCoredumpOnCrash", "-XX:ErrorFile=" + dir.resolve("hs_err_%p.log"),
                "-cp", System.getProperty("java.class.path"), CloseUnderLiveBuffersMain.class.getName(), mode));
        Path log = dir.resolve(mode + ".txt");
        // Output to a file, not a pipe: waitFor is then the only wait, and it is bounded.
        Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!child.waitFor(TIMEOUT_S, TimeUnit.SECONDS)) {
            child.destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError(mode + " child did not end in " + TIMEOUT_S + " s:\n" + Files.readString(log));
        }
        List<Path> crashLogs;
        try (Stream<Path> files = Files.list(dir)) {
            crashLogs = files.filter(p -> p.getFileName().toString().startsWith("hs_err")).toList();
        }
        return new Child(child.exitValue(), Files.readString(log), crashLogs);
    }

    private record Child(int exitCode, String output, List<Path> crashLogs) {
    }

    @Test
    void closingUnderALiveVectorNeverUnmapsUnderIt(@TempDir Path dir) throws Exception {
        Child child = run(dir, "adapter");
        assertEquals(0, child.exitCode(), child.output());
        assertTrue(child.crashLogs().isEmpty(), "no crash log: " + child.crashLogs());
        long rows = 1 << 20;
        for (String line : List.of("FACTORY-CLOSE-REFUSED", "ROOT-CLOSE-REPORTED-LEAK",
                "SUM=" + rows * (rows - 1) / 2, "UNMAPPED-AFTER-LAST-RELEASE")) {
            assertTrue(child.output().contains(line), "expected " + line + " in:\n" + child.output());
        }
    }

    @Test
    void controlUnmapUnderARawAddressDoesCrash(@TempDir Path dir) throws Exception {
        Child child = run(dir, "control");
        assertTrue(child.output().contains("CONTROL-UNMAPPED"), child.output());
        assertFalse(child.output().contains("CONTROL-SURVIVED"), child.output());
        assertNotEquals(0, child.exitCode(), child.output());
        assertFalse(child.crashLogs().isEmpty(), "the JVM's crash log: " + child.output());
    }
}
