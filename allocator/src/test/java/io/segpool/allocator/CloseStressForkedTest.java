package io.segpool.allocator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CloseStressMain} in a forked JVM: thousands of {@code close()} calls racing threads that
 * allocate, touch, view, free, trim and flush. A touch of unmapped memory would kill the child with
 * SIGSEGV (exit code 134 or so, and an hs_err file in {@code -XX:ErrorFile}'s directory); any
 * exception but the closed allocator's {@link IllegalStateException} or a corrupted block makes
 * the child exit 1; a hang past {@link #TIMEOUT} gets it killed ({@link ForkedJvm}) and fails.
 */
class CloseStressForkedTest {

    /** Sized so that the child runs about 20 to 30 s on the project's 2-core VM. */
    static final int TRIALS = 3000;
    /** Eight times the usual run, for a loaded CI machine; under the suite's JUnit timeout. */
    private static final Duration TIMEOUT = Duration.ofMinutes(4);

    @Test
    void closeRacingEveryCallOnlyEverThrowsIllegalStateException(@TempDir Path workDir) throws Exception {
        Path errors = Files.createDirectory(workDir.resolve("crash-logs"));
        ForkedJvm.Result child = ForkedJvm.run(workDir, TIMEOUT, List.of("--enable-native-access=ALL-UNNAMED",
                        "-Xmx512m", "-XX:ErrorFile=" + errors.resolve("hs_err_pid%p.log")),
                CloseStressMain.class, Integer.toString(TRIALS), "1");
        String output = child.output();
        System.out.println(output);
        List<Path> crashes = new ArrayList<>(ForkedJvm.hsErrFiles(errors));
        crashes.addAll(ForkedJvm.hsErrFiles(workDir));
        assertTrue(crashes.isEmpty(), "the child JVM crashed: " + crashes + "\n" + output);
        assertEquals(0, child.exitCode(), "child JVM exit code\n" + output);
        assertTrue(output.contains("close stress: " + TRIALS + " trials"), output);
        assertTrue(output.contains("CLOSE-STRESS-OK"), output);
    }
}
