package io.segpool.allocator;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * The threads a model step runs on ({@link Route}): the test thread through the allocator or its
 * held {@link ThreadCache}, a second platform thread, or a fresh virtual thread that borrows a
 * stripe. A step on another thread runs while the test thread waits for it, so the model stays
 * sequential, and the wait is bounded: a step that does not finish in {@link #STEP_TIMEOUT}
 * fails the test instead of hanging it.
 */
final class SequenceThreads implements AutoCloseable {

    static final Duration STEP_TIMEOUT = Duration.ofSeconds(60);

    /** Where a call runs. */
    enum Route {
        /** The test thread, through the allocator. */
        MAIN,
        /** The test thread, through its held {@code threadCache()}. */
        MAIN_CACHE,
        /** A second platform thread, through the allocator or its own held cache. */
        HELPER,
        /** A new virtual thread, through a {@code borrowCache()} it closes at the end. */
        VIRTUAL
    }

    /** The calls the allocator and a {@link ThreadCache} share, so that a step can take either. */
    interface Api {
        MemorySegment allocate(long size);

        MemorySegment allocate(long size, long alignment);

        long allocateAddress(long size);

        void free(MemorySegment segment);

        void freeAddress(long address, long size);
    }

    /** What a call on a route returned or threw. */
    record Outcome<T>(T value, Throwable thrown) {
    }

    private final NativeAllocator allocator;
    private final ExecutorService helper = Executors.newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, "model-helper");
        thread.setDaemon(true);
        return thread;
    });
    private final ThreadCache mainCache;
    private final ThreadCache helperCache;

    /** Made on the test thread; every stripe and the helper's cache exist before the first step. */
    SequenceThreads(NativeAllocator allocator) {
        this.allocator = allocator;
        this.mainCache = allocator.threadCache();
        this.helperCache = onHelper(allocator::threadCache);
    }

    /**
     * Makes every virtual-thread stripe exist by borrowing all of them at once (each borrower
     * holds its stripe until all have one), so that a later call on a virtual thread finds
     * MemStats' {@code ThreadCaches} as it was. Nothing is allocated.
     */
    void makeEveryStripe() {
        int stripes = 2 * Runtime.getRuntime().availableProcessors();
        CountDownLatch borrowed = new CountDownLatch(stripes);
        Thread[] threads = new Thread[stripes];
        for (int i = 0; i < stripes; i++) {
            threads[i] = Thread.ofVirtual().start(() -> {
                try (ThreadCache ignored = allocator.borrowCache()) {
                    borrowed.countDown();
                    if (!borrowed.await(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                        throw new AssertionError("the stripes were not all borrowed in " + STEP_TIMEOUT);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        for (Thread thread : threads) {
            join(thread);
        }
    }

    ThreadCache mainCache() {
        return mainCache;
    }

    ThreadCache helperCache() {
        return helperCache;
    }

    /** Runs {@code call} on {@code route} and returns what it returned or threw; fails on a timeout. */
    <T> Outcome<T> run(Route route, boolean useCache, Function<Api, T> call) {
        return switch (route) {
            case MAIN -> capture(() -> call.apply(api(allocator)));
            case MAIN_CACHE -> capture(() -> call.apply(api(mainCache)));
            case HELPER -> onHelper(() -> capture(() -> call.apply(useCache ? api(helperCache) : api(allocator))));
            case VIRTUAL -> onVirtual(() -> {
                if (!useCache) {
                    return capture(() -> call.apply(api(allocator)));
                }
                try (ThreadCache cache = allocator.borrowCache()) {
                    return capture(() -> call.apply(api(cache)));
                }
            });
        };
    }

    /** Runs {@code call} on the helper thread and returns its result; its exception is rethrown here. */
    <T> T onHelper(java.util.concurrent.Callable<T> call) {
        Future<T> future = helper.submit(call);
        try {
            return future.get(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new AssertionError("a step on the helper thread did not finish in " + STEP_TIMEOUT, e);
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for the helper thread", e);
        }
    }

    /** Runs {@code call} on a new virtual thread and returns its result; its exception is rethrown here. */
    <T> T onVirtual(java.util.concurrent.Callable<T> call) {
        Object[] result = new Object[1];
        Throwable[] failure = new Throwable[1];
        Thread thread = Thread.ofVirtual().start(() -> {
            try {
                result[0] = call.call();
            } catch (Throwable e) {
                failure[0] = e;
            }
        });
        join(thread);
        if (failure[0] != null) {
            throw rethrow(failure[0]);
        }
        @SuppressWarnings("unchecked")
        T value = (T) result[0];
        return value;
    }

    private static void join(Thread thread) {
        try {
            if (!thread.join(STEP_TIMEOUT)) {
                throw new AssertionError(thread + " did not finish in " + STEP_TIMEOUT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while joining " + thread, e);
        }
    }

    /** What {@code call} returned, or the refusal or memory error it threw. */
    static <T> Outcome<T> capture(java.util.function.Supplier<T> call) {
        try {
            return new Outcome<>(call.get(), null);
        } catch (RuntimeException | OutOfMemoryError e) {
            return new Outcome<>(null, e);
        }
    }

    private static RuntimeException rethrow(Throwable e) {
        if (e instanceof RuntimeException r) {
            throw r;
        }
        if (e instanceof Error error) {
            throw error;
        }
        throw new AssertionError(e);
    }

    static Api api(NativeAllocator allocator) {
        return new Api() {
            public MemorySegment allocate(long size) {
                return allocator.allocate(size);
            }

            public MemorySegment allocate(long size, long alignment) {
                return allocator.allocate(size, alignment);
            }

            public long allocateAddress(long size) {
                return allocator.allocateAddress(size);
            }

            public void free(MemorySegment segment) {
                allocator.free(segment);
            }

            public void freeAddress(long address, long size) {
                allocator.freeAddress(address, size);
            }
        };
    }

    static Api api(ThreadCache cache) {
        return new Api() {
            public MemorySegment allocate(long size) {
                return cache.allocate(size);
            }

            public MemorySegment allocate(long size, long alignment) {
                return cache.allocate(size, alignment);
            }

            public long allocateAddress(long size) {
                return cache.allocateAddress(size);
            }

            public void free(MemorySegment segment) {
                cache.free(segment);
            }

            public void freeAddress(long address, long size) {
                cache.freeAddress(address, size);
            }
        };
    }

    @Override
    public void close() {
        helper.shutdownNow();
    }
}
