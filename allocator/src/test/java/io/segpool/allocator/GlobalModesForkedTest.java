package io.segpool.allocator;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The global allocator's hot paths read its heap, addresses and mode as constants (static
 * finals the JIT folds), so each mode is a different compiled path: this runs each in a JVM of
 * its own ({@code -Dsegpool.global.checkFrees}), compiled, then wrongly called
 * ({@link GlobalModesMain}).
 */
class GlobalModesForkedTest {

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void eachModeServesAndRefusesWhenCompiled(boolean checkFrees, @TempDir Path workDir) throws Exception {
        ForkedJvm.Result child = ForkedJvm.run(workDir, Duration.ofMinutes(2),
                List.of("--enable-native-access=ALL-UNNAMED", "-Dsegpool.global.checkFrees=" + checkFrees),
                GlobalModesMain.class);
        String output = child.output();
        assertEquals(0, child.exitCode(), "child JVM exit code\n" + output);
        assertTrue(output.contains("GLOBAL-MODES-OK checked=" + checkFrees), output);
    }
}
