package io.segpool.netty;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.EventLoopGroup;
import io.netty.testsuite.transport.TestsuitePermutation;
import io.netty.testsuite.transport.socket.SocketTestPermutation;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Netty's socket permutations on event loops of each test's own, so that the test can end by
 * shutting them down and waiting for them: a terminated loop has closed its channels and run
 * their last tasks, which is when the buffers they still held (a read buffer of a channel that
 * closes after the test's assertions) are released. Only then is {@code Inuse == 0} a fair demand.
 */
final class SuiteGroups {

    /** Netty's permutation, with its protected loops reachable for shutdown. */
    private static final class Permutation extends SocketTestPermutation {
        void shutdown() throws InterruptedException {
            for (EventLoopGroup group : new EventLoopGroup[] {NIO_GROUP, OIO_GROUP}) {
                if (group != null) {
                    assertTrue(group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(20, TimeUnit.SECONDS),
                            "event loops did not terminate in 20 s");
                }
            }
        }
    }

    private final List<Permutation> made = new ArrayList<>();

    /** The socket combinations of a new permutation, whose loops {@link #shutdown()} ends. */
    synchronized List<TestsuitePermutation.BootstrapComboFactory<ServerBootstrap, Bootstrap>> socket() {
        Permutation permutation = new Permutation();
        made.add(permutation);
        return permutation.socket();
    }

    /** Shuts down and waits for every loop made since the last call. */
    synchronized void shutdown() throws InterruptedException {
        for (Permutation permutation : made) {
            permutation.shutdown();
        }
        made.clear();
    }
}
