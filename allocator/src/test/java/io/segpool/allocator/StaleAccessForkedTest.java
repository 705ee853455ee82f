package io.segpool.allocator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves in a separate JVM that touching a block whose memory went back to the OS throws instead
 * of crashing: the child exits 0, prints every refusal, and leaves no hs_err file. A child that
 * hangs is killed after a minute ({@link ForkedJvm}) and fails the test.
 */
class StaleAccessForkedTest {

    @Test
    void staleAccessThrowsAndTheJvmSurvives(@TempDir Path workDir) throws Exception {
        ForkedJvm.Result child = ForkedJvm.run(workDir, Duration.ofMinutes(1),
                List.of("--enable-native-access=ALL-UNNAMED"), StaleAccessMain.class);
        String output = child.output();
        assertEquals(0, child.exitCode(), "child JVM exit code\n" + output);
        assertEquals(2, output.lines().filter(line -> line.startsWith("refused ")).count(), output);
        assertTrue(output.contains("trimmed block") && output.contains("reads 0"), output);
        assertTrue(output.contains("STALE-ACCESS-SURVIVED"), output);
        assertTrue(ForkedJvm.hsErrFiles(workDir).isEmpty(), "hs_err files: " + ForkedJvm.hsErrFiles(workDir));
    }
}
