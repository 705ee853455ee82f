package io.segpool.allocator;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The engine's layering, as docs/DESIGN.md ("Rooms and layers") states it, checked over the
 * sources with comments taken out: no file below the face names {@code NativeAllocator} but the
 * stated exceptions, and the memory layer names neither the caches, the large spans nor the face.
 */
class EngineLayeringTest {

    private static final Path ENGINE = Path.of("src/main/java/io/segpool/allocator");
    private static final Set<String> FACE_EXCEPTIONS = Set.of("NativeAllocator.java", "GlobalAllocator.java", "Refusals.java",
            "Poison.java");
    private static final List<String> MEMORY_LAYER = List.of("Heap", "BlockState", "SizeClasses", "OsMemory",
            "MemoryMapper", "MemoryBudget", "CachedBytes", "Liveness", "OpenHeaps");
    private static final Pattern ABOVE_MEMORY = Pattern.compile(
            "\\b(NativeAllocator|ThreadCache|RingCache|CentralStack|CacheRegistry|BackgroundRelease|Trimmer"
                    + "|LargeBlocks|SpanSource)\\b");

    @Test
    void onlyTheFaceAndTheStatedExceptionsNameTheFace() throws IOException {
        Set<String> naming = new TreeSet<>();
        try (Stream<Path> files = Files.list(ENGINE)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                if (code(file).contains("NativeAllocator")) {
                    naming.add(file.getFileName().toString());
                }
            }
        }
        assertTrue(naming.contains("NativeAllocator.java"), "the check reads the sources: " + naming);
        naming.removeAll(FACE_EXCEPTIONS);
        assertEquals(Set.of(), naming, "engine files below the face that name it");
    }

    @Test
    void theMemoryLayerNamesNoRoomAboveIt() throws IOException {
        for (String name : MEMORY_LAYER) {
            var matcher = ABOVE_MEMORY.matcher(code(ENGINE.resolve(name + ".java")));
            if (matcher.find()) {
                fail(name + " is in the memory layer but names " + matcher.group());
            }
        }
    }

    /** The file's text without its comments (block, Javadoc and line comments). */
    private static String code(Path file) throws IOException {
        String text = Files.readString(file);
        return text.replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\\n]*", "");
    }
}
