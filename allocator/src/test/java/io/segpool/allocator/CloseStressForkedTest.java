package io.segpool.allocator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CloseStressMain} in a forked JVM: thousands of {@code close()} calls racing threads that
 * allocate, touch, view, free, trim and flush. A touch of unmapped memory would kill the child with
 * SIGSEGV (exit code 134 or so, and an hs_err file in {@code -XX:ErrorFile}'s directory); any
 * exception but the closed allocator's {@link IllegalStateException}, a corrupted block or a hang
 * makes the child exit 1.
 */
class CloseStressForkedTest {

    /** Sized so that the child runs about 20 to 30 s on the project's 2-core VM. */
    static final int TRIALS = 3000;

    @Test
    void closeRacingEveryCallOnlyEverThrowsIllegalStateException(@TempDir Path workDir) throws Exception {
        Path errors = Files.createDirectory(workDir.resolve("crash-logs"));
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-Xmx512m",
                "-XX:ErrorFile=" + errors.resolve("hs_err_pid%p.log"),
                "-cp", System.getProperty("java.class.path"), CloseStressMain.class.getName(),
                Integer.toString(TRIALS), "1")
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .start();
        String output = new String(child.getInputStream().readAllBytes());
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), "child did not finish");
        System.out.println(output);
        List<Path> crashes = new java.util.ArrayList<>(hsErrFiles(errors));
        crashes.addAll(hsErrFiles(workDir));
        assertTrue(crashes.isEmpty(), "the child JVM crashed: " + crashes + "\n" + output);
        assertEquals(0, child.exitValue(), "child JVM exit code\n" + output);
        assertTrue(output.contains("close stress: " + TRIALS + " trials"), output);
        assertTrue(output.contains("CLOSE-STRESS-OK"), output);
    }

    private static List<Path> hsErrFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith("hs_err")).toList();
        }
    }
}
