package io.segpool.netty;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.testsuite.transport.TestsuitePermutation;
import io.netty.testsuite.transport.socket.CompositeBufferGatheringWriteTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Netty's own {@code CompositeBufferGatheringWriteTest}, from the published netty-testsuite jar, with segpool's allocator on
 * the server, child and client channels ({@code ChannelOption.ALLOCATOR}, which the suite's
 * {@code configure} sets from {@link #newAllocators()}). Each test runs on loops of its own; once
 * they have terminated no block may be in use and every byte must be accounted for.
 */
class SegpoolCompositeBufferGatheringWriteTest extends CompositeBufferGatheringWriteTest {

    private static final SegpoolByteBufAllocator ALLOCATOR = NettySuiteAllocator.create("netty-CompositeBufferGatheringWriteTest");
    private final SuiteGroups groups = new SuiteGroups();

    @Override
    protected List<ByteBufAllocator> newAllocators() {
        return NettySuiteAllocator.only(ALLOCATOR);
    }

    @Override
    protected List<TestsuitePermutation.BootstrapComboFactory<ServerBootstrap, Bootstrap>> newFactories() {
        return groups.socket();
    }

    @AfterEach
    void noBlockInUse() throws InterruptedException {
        groups.shutdown();
        Idle.assertIdle(ALLOCATOR);
    }

    @AfterAll
    static void closeAllocator() {
        // Per class, not per test: a test may fail its client before any buffer is read.
        assertTrue(Idle.assertIdle(ALLOCATOR).mallocs() > 0, "the suite allocated no segpool buffer");
        ALLOCATOR.close();
    }
}
