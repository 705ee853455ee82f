package io.segpool.allocator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Attacks on {@link NativeAllocator#global()} in JVMs of their own, since its
 * configuration is read once, in a class initializer: a bad property must refuse every call by
 * name rather than fail the initializer for good ({@link GlobalAllocatorTest} checks the parsing
 * alone), and a memory limit must refuse single and batch calls and leave it serving.
 */
class GlobalMisconfigTest {

    @Test
    void aBadPropertyRefusesEveryCallByName(@TempDir Path workDir) throws Exception {
        String property = "-Dsegpool.global.memoryLimit=lots";
        run(workDir, List.of(property), "refused", property);
    }

    @Test
    void theGlobalLimitRefusesSinglesAndBatchesAndItKeepsServing(@TempDir Path workDir) throws Exception {
        run(workDir, List.of("-Dsegpool.global.memoryLimit=8m"), "limited");
    }

    private static void run(Path workDir, List<String> properties, String... args) throws Exception {
        List<String> jvm = new java.util.ArrayList<>(List.of("--enable-native-access=ALL-UNNAMED"));
        jvm.addAll(properties);
        ForkedJvm.Result child = ForkedJvm.run(workDir, Duration.ofMinutes(1), jvm, GlobalMisconfigMain.class, args);
        String output = child.output();
        assertEquals(0, child.exitCode(), "child JVM exit code\n" + output);
        assertTrue(output.contains("GLOBAL-ATTACK-OK " + args[0]), output);
    }
}
