package io.segpool.netty;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Netty with {@code sun.misc.Unsafe} on, in a forked JVM (a crash must not take the test run
 * with it): closing the allocator under a live buffer is refused, so Netty's raw copies never
 * meet unmapped memory. The control run makes the raw access after a close and must die, which
 * shows that the guarded run's exit code 0 means something.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class UnsafeModeTest {

    private static final class Run {
        final int exit;
        final String output;

        Run(int exit, String output) {
            this.exit = exit;
            this.output = output;
        }
    }

    private static Run fork(String mode, Path dir) throws IOException, InterruptedException {
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder builder = new ProcessBuilder(List.of(java.toString(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-Dio.netty.noUnsafe=false", "-XX:-CreateCoredumpOnCrash",
                "-XX:ErrorFile=" + dir.resolve("hs_err_%p.log"), "-Xmx256m",
                "-cp", classPath, UnsafeModeProbe.class.getName(), mode))
                .directory(dir.toFile())
                .redirectErrorStream(true);
        Process process = builder.start();
        byte[] out = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the forked JVM did not end");
        return new Run(process.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    @Test
    void closeUnderLiveBuffersIsRefusedAndNothingCrashes(@TempDir Path dir) throws Exception {
        Run run = fork("guarded", dir);
        assertEquals(0, run.exit, run.output);
        assertTrue(run.output.contains("unsafe=true"), "Netty did not use Unsafe:\n" + run.output);
        assertTrue(run.output.contains("close refused"), run.output);
        assertTrue(run.output.contains("OK"), run.output);
    }

    @Test
    void controlARawReadAfterCloseCrashes(@TempDir Path dir) throws Exception {
        Run run = fork("control", dir);
        assertTrue(run.output.contains("unsafe=true"), run.output);
        assertTrue(run.output.contains("reading"), run.output);
        assertNotEquals(0, run.exit, "a raw read of unmapped memory must kill the JVM:\n" + run.output);
        assertTrue(run.output.contains("SIGSEGV"), run.output);
    }
}
