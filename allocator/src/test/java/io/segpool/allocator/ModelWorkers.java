package io.segpool.allocator;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The real threads a property run calls the allocator from: two platform threads and one virtual
 * thread, each a loop that runs one task at a time. The driver hands a call to one worker and
 * waits for it (with a timeout, so a call that hangs fails the run instead of the build), so a
 * sequence of calls stays one sequence that a model can follow, while each call still comes
 * from the thread the step names: its own thread cache, its own stripe, another thread's
 * {@link ThreadCache}.
 */
final class ModelWorkers implements AutoCloseable {

    /** Worker indices: two platform threads, then the virtual one. */
    static final int COUNT = 3;
    static final int VIRTUAL = 2;
    /** How long one call may take before the run fails as hung. */
    static final long CALL_TIMEOUT_SECONDS = 20;

    /** The result of one call: what it returned, or what it threw. */
    record Outcome(Object value, Throwable thrown) {
        boolean accepted() {
            return thrown == null;
        }
    }

    private static final Runnable STOP = () -> { };

    private final Thread[] threads = new Thread[COUNT];
    private final List<LinkedBlockingQueue<Runnable>> queues = new ArrayList<>();

    ModelWorkers() {
        for (int i = 0; i < COUNT; i++) {
            LinkedBlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
            queues.add(queue);
            Runnable loop = () -> {
                try {
                    for (Runnable task = queue.take(); task != STOP; task = queue.take()) {
                        task.run();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
            String name = "model-worker-" + i;
            threads[i] = i == VIRTUAL ? Thread.ofVirtual().name(name).start(loop)
                    : Thread.ofPlatform().name(name).daemon(true).start(loop);
        }
    }

    Thread thread(int worker) {
        return threads[worker];
    }

    boolean isVirtual(int worker) {
        return worker == VIRTUAL;
    }

    /** Runs {@code call} on {@code worker} and waits for it; a hang is an {@link AssertionError}. */
    Outcome call(int worker, Callable<?> call) {
        CompletableFuture<Outcome> done = new CompletableFuture<>();
        queues.get(worker).add(() -> {
            try {
                done.complete(new Outcome(call.call(), null));
            } catch (Throwable t) {
                done.complete(new Outcome(null, t));
            }
        });
        try {
            return done.get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("worker " + worker + " hung for " + CALL_TIMEOUT_SECONDS + " s in one call");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for worker " + worker, e);
        } catch (ExecutionException e) {
            throw new AssertionError(e.getCause());
        }
    }

    /** Stops every worker; one that does not stop within the timeout is interrupted. */
    @Override
    public void close() {
        for (LinkedBlockingQueue<Runnable> queue : queues) {
            queue.add(STOP);
        }
        for (Thread thread : threads) {
            try {
                if (!thread.join(java.time.Duration.ofSeconds(CALL_TIMEOUT_SECONDS))) {
                    thread.interrupt();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
