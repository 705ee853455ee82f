package io.segpool.allocator;

import io.segpool.stats.MemStats;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link NativeAllocator#global()}: one instance, never closed, in the global scope, configured
 * by the {@code segpool.global.*} properties, each bad value refused naming the property.
 */
class GlobalAllocatorTest {

    @Test
    void theGlobalAllocatorIsOneInstanceThatNeverCloses() {
        NativeAllocator global = NativeAllocator.global();
        assertSame(global, NativeAllocator.global());
        assertEquals("segpool-global", global.name());
        MemorySegment block = global.allocate(64);
        block.set(ValueLayout.JAVA_LONG, 0, 42);
        assertEquals(Arena.global().scope(), block.scope(), "its blocks are in the global scope: always alive");
        var e = assertThrows(UnsupportedOperationException.class, global::close);
        assertTrue(e.getMessage().contains("never closed"), e.getMessage());
        assertTrue(global.isOpen(), "a refused close changes nothing");
        assertEquals(42, block.get(ValueLayout.JAVA_LONG, 0));
        global.free(block);
        long address = global.allocateAddress(256);
        global.freeAddress(address, 256);
        assertThrows(IllegalStateException.class, () -> global.free(block), "its checks are on by default");
        MemStats stats = new MemStats();
        global.readMemStats(stats);
        TestSupport.assertConserved(stats);
    }

    @Test
    void propertiesConfigureItAndBadValuesAreRefusedByName() {
        Properties properties = new Properties();
        AllocatorConfig defaults = GlobalAllocator.configFrom(properties);
        assertEquals("segpool-global", defaults.name());
        assertEquals(AllocatorConfig.UNLIMITED, defaults.memoryLimit());
        assertTrue(defaults.checkFrees());
        assertNull(defaults.releaseAfter());

        properties.setProperty(GlobalAllocator.NAME, "orders");
        properties.setProperty(GlobalAllocator.MEMORY_LIMIT, "64m");
        properties.setProperty(GlobalAllocator.CHECK_FREES, "false");
        properties.setProperty(GlobalAllocator.RELEASE_AFTER, "PT2S");
        AllocatorConfig set = GlobalAllocator.configFrom(properties);
        assertEquals("orders", set.name());
        assertEquals(64L << 20, set.memoryLimit());
        assertFalse(set.checkFrees());
        assertEquals(Duration.ofSeconds(2), set.releaseAfter());
        properties.setProperty(GlobalAllocator.MEMORY_LIMIT, "1048576");
        properties.setProperty(GlobalAllocator.RELEASE_AFTER, "off");
        assertEquals(1 << 20, GlobalAllocator.configFrom(properties).memoryLimit());
        assertNull(GlobalAllocator.configFrom(properties).releaseAfter());

        refused(GlobalAllocator.MEMORY_LIMIT, "lots");
        refused(GlobalAllocator.MEMORY_LIMIT, "-1");
        refused(GlobalAllocator.MEMORY_LIMIT, "99999999999999999g");
        refused(GlobalAllocator.MEMORY_LIMIT, "4096"); // below one chunk: the config's own rule, named by property
        refused(GlobalAllocator.CHECK_FREES, "maybe");
        refused(GlobalAllocator.RELEASE_AFTER, "PT0S");
        refused(GlobalAllocator.RELEASE_AFTER, "1s");
    }

    private static void refused(String property, String value) {
        Properties properties = new Properties();
        properties.setProperty(property, value);
        var e = assertThrows(IllegalArgumentException.class, () -> GlobalAllocator.configFrom(properties));
        assertTrue(e.getMessage().contains("-D" + property + "=" + value), e.getMessage());
    }
}
