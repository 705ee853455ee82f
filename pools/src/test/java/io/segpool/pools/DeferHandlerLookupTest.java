package io.segpool.pools;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A run calls the handler its defer named: a handler registered after the scope was made is
 * found, an unregistered id is refused before anything changes, and handlers registered on
 * another thread while the owner defers and runs each run for their own ids only.
 */
@Timeout(60)
class DeferHandlerLookupTest {

    @Test
    void aHandlerRegisteredAfterTheScopeWasMadeIsFound() {
        try (DeferPool pool = DeferPool.create(); DeferScope scope = pool.newScope()) {
            List<String> ran = new ArrayList<>();
            int first = pool.register(args -> ran.add("first " + args.word()));
            scope.defer(first, 1);
            int second = pool.register(args -> ran.add("second " + args.word()));
            scope.defer(second, 2);
            assertThrows(IllegalArgumentException.class, () -> scope.defer(second + 1), "not registered");
            assertEquals(2, scope.pending(), "the refused defer changed nothing");
            scope.runDeferred();
            assertEquals(List.of("second 2", "first 1"), ran);
        }
    }

    /** Registrations on another thread while the owner defers every id it has been told of. */
    @Test
    void handlersRegisteredConcurrentlyRunAsTheirIdsSay() throws Exception {
        try (DeferPool pool = DeferPool.create(); DeferScope scope = pool.newScope()) {
            int handlers = 2_000;
            long[] hits = new long[handlers];
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch go = new CountDownLatch(1);
            java.util.concurrent.atomic.AtomicInteger registered = new java.util.concurrent.atomic.AtomicInteger(-1);
            Thread registrar = Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                    for (int i = 0; i < handlers; i++) {
                        int expected = i;
                        int id = pool.register(args -> {
                            assertEquals(expected, args.word(), "a run called another id's handler");
                            hits[expected]++;
                        });
                        assertEquals(i, id);
                        registered.set(id);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            });
            go.countDown();
            long runs = 0;
            while (registered.get() < handlers - 1 && failure.get() == null) {
                int newest = registered.get();
                if (newest >= 0) {
                    scope.defer(newest, newest);
                    scope.defer(newest / 2, newest / 2);
                    scope.runDeferred();
                    runs += 2;
                }
            }
            assertTrue(registrar.join(java.time.Duration.ofSeconds(30)), "the registrar did not finish");
            assertNull(failure.get());
            long total = 0;
            for (long hit : hits) {
                total += hit;
            }
            assertEquals(runs, total, "every defer ran its own handler once");
        }
    }
}
