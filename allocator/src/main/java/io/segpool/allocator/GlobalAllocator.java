package io.segpool.allocator;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * The holder of the process-wide allocator, {@link NativeAllocator#global()}: made on first use
 * (the JVM runs this class's initializer once, on the first call), configured once from system
 * properties, never closed, and held in a {@code static final} field, which the JIT treats as a
 * constant. A property with a bad value makes every {@code global()} call throw the same
 * {@link IllegalArgumentException}, naming the property, the value and the rule, rather than
 * fail class initialization for good.
 */
final class GlobalAllocator {

    static final String NAME = "segpool.global.name";
    static final String MEMORY_LIMIT = "segpool.global.memoryLimit";
    static final String CHECK_FREES = "segpool.global.checkFrees";
    static final String RELEASE_AFTER = "segpool.global.releaseAfter";

    /** The allocator, or null when the properties were refused. */
    static final NativeAllocator INSTANCE;
    /**
     * The global allocator's heap segment, in a {@code static final} so that the hot paths of its
     * caches read it as a constant (null when the properties were refused; no cache reads it then).
     */
    static final java.lang.foreign.MemorySegment HEAP;
    /**
     * The global heap's room, its addresses and its caches' mode bits, constants for the same
     * reason as {@link #HEAP} (0 and null when the properties were refused).
     */
    static final Heap HEAP_ROOM;
    static final long BASE;
    static final long INT_TABLE;
    static final long BYTE_TABLE;
    static final int MODE;
    /** Why the properties were refused, or null. */
    private static final IllegalArgumentException REFUSED;

    static {
        NativeAllocator made = null;
        IllegalArgumentException refused = null;
        try {
            made = NativeAllocator.createGlobal(configFrom(System.getProperties()));
        } catch (IllegalArgumentException e) {
            refused = e;
        }
        INSTANCE = made;
        HEAP = made == null ? null : made.heap.all;
        HEAP_ROOM = made == null ? null : made.heap;
        BASE = made == null ? 0 : made.heap.base;
        INT_TABLE = made == null ? 0 : made.heap.intTable;
        BYTE_TABLE = made == null ? 0 : made.heap.byteTable;
        MODE = made == null ? 0 : BlockChecks.mode(made.config());
        REFUSED = refused;
    }

    private GlobalAllocator() {
    }

    static NativeAllocator get() {
        if (INSTANCE == null) {
            throw new IllegalArgumentException(REFUSED.getMessage(), REFUSED);
        }
        return INSTANCE;
    }

    /** The global allocator's settings from {@code properties}; {@link AllocatorConfig#defaults()} where unset. */
    static AllocatorConfig configFrom(java.util.Properties properties) {
        AllocatorConfig config = AllocatorConfig.defaults().withName(properties.getProperty(NAME, "segpool-global"));
        String limit = properties.getProperty(MEMORY_LIMIT);
        if (limit != null) {
            try {
                config = config.withMemoryLimit(bytes(MEMORY_LIMIT, limit));
            } catch (IllegalArgumentException e) {
                throw e.getMessage().startsWith("-D") ? e : refused(MEMORY_LIMIT, limit, "a limit the allocator takes: " + e.getMessage());
            }
        }
        String checks = properties.getProperty(CHECK_FREES);
        if (checks != null) {
            config = config.withCheckFrees(bool(CHECK_FREES, checks));
        }
        String release = properties.getProperty(RELEASE_AFTER);
        if (release != null && !release.equalsIgnoreCase("off")) {
            try {
                config = config.withReleaseAfter(duration(RELEASE_AFTER, release));
            } catch (IllegalArgumentException e) {
                throw e.getMessage().startsWith("-D") ? e : refused(RELEASE_AFTER, release, "a delay the allocator takes: " + e.getMessage());
            }
        }
        return config;
    }

    /** A byte count: digits, optionally followed by k, m or g (powers of 1024). */
    private static long bytes(String property, String value) {
        String text = value.trim().toLowerCase(Locale.ROOT);
        int shift = switch (text.isEmpty() ? ' ' : text.charAt(text.length() - 1)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            default -> 0;
        };
        String digits = shift == 0 ? text : text.substring(0, text.length() - 1);
        try {
            long n = Long.parseLong(digits);
            if (n < 0 || n > Long.MAX_VALUE >> shift) {
                throw new NumberFormatException();
            }
            return n << shift;
        } catch (NumberFormatException e) {
            throw refused(property, value, "a byte count from 0 (no limit), digits with an optional k, m or g");
        }
    }

    private static boolean bool(String property, String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw refused(property, value, "true or false");
        };
    }

    private static Duration duration(String property, String value) {
        try {
            return Duration.parse(value.trim());
        } catch (DateTimeParseException e) {
            throw refused(property, value, "an ISO-8601 duration such as PT1S, or off");
        }
    }

    private static IllegalArgumentException refused(String property, String value, String rule) {
        return new IllegalArgumentException("-D" + property + "=" + value + ": must be " + rule);
    }
}
