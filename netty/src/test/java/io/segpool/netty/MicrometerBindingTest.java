package io.segpool.netty;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Micrometer's {@code NettyAllocatorMetrics} binds the allocator as it is and reads segpool's resident bytes. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MicrometerBindingTest {

    @Test
    void nettyAllocatorMetricsReadsResidentBytes() {
        try (SegpoolByteBufAllocator alloc = SegpoolByteBufAllocator.create()) {
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            new NettyAllocatorMetrics(alloc).bindTo(registry);
            ByteBuf buf = alloc.directBuffer(1 << 20);
            Gauge direct = registry.find("netty.allocator.memory.used").tag("memory.type", "direct").gauge();
            assertTrue(direct != null, "no direct memory gauge: " + registry.getMetersAsString());
            assertEquals((double) alloc.usedDirectMemory(), direct.value());
            assertTrue(direct.value() >= 1 << 20, "a 1 MiB buffer is resident");
            buf.release();
        }
    }
}
