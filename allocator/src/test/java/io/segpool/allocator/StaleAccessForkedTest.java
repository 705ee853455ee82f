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
 * Proves in a separate JVM that touching a block whose memory went back to the OS throws instead
 * of crashing: the child exits 0, prints every refusal, and leaves no hs_err file.
 */
class StaleAccessForkedTest {

    @Test
    void staleAccessThrowsAndTheJvmSurvives(@TempDir Path workDir) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), StaleAccessMain.class.getName())
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .start();
        String output = new String(child.getInputStream().readAllBytes());
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "child did not finish");
        assertEquals(0, child.exitValue(), "child JVM exit code\n" + output);
        assertEquals(2, output.lines().filter(line -> line.startsWith("refused ")).count(), output);
        assertTrue(output.contains("trimmed block") && output.contains("reads 0"), output);
        assertTrue(output.contains("STALE-ACCESS-SURVIVED"), output);
        assertTrue(hsErrFiles(workDir).isEmpty(), "hs_err files: " + hsErrFiles(workDir));
    }

    private static List<Path> hsErrFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith("hs_err")).toList();
        }
    }
}
