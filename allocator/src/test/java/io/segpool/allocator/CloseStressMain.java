package io.segpool.allocator;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Run in a forked JVM by {@link CloseStressForkedTest}: thousands of trials of {@code close()}
 * racing threads that use every part of the allocator. Each trial makes an allocator, starts
 * {@link #WORKERS} platform threads and one virtual thread that allocate, write, read and free
 * (class sizes, large blocks above 1 MiB, the address API with {@code segment(address, size)}
 * views, a held {@link ThreadCache}, {@code trim()}, {@link ThreadCache#flush()}), and closes the
 * allocator from this thread after a random spin. Every worker runs until a call throws.
 *
 * <p>What must hold, and what this process checks (printing each violation and exiting 1):
 * <ul>
 *   <li>every exception a worker sees is an {@link IllegalStateException} that says the allocator
 *   (or its memory) is closed; any other type, or an {@code IllegalStateException} with another
 *   message (a double free, a bad release), is a failure;
 *   <li>a block read back before its free holds what its owner wrote (a block handed out twice
 *   would be overwritten by its other holder);
 *   <li>every worker stops after the close (a worker still running 10 s later is a hang).
 * </ul>
 * A worker that touches unmapped memory kills this JVM with SIGSEGV: the forked test sees a
 * non-zero exit code and an {@code hs_err} file.
 *
 * <p>Arguments: {@code trials} (default 3000) and {@code seed} (default 1).
 */
public final class CloseStressMain {

    static final int WORKERS = 3;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final long MAX_SPIN_NANOS = 1_500_000;
    private static final long[] CLASS_SIZES = {16, 48, 64, 100, 256, 1024, 4096, 8192, 65536, 1 << 20};
    private static final long[] LARGE_SIZES = {(1 << 20) + 1, 2 << 20, 3 << 20};

    private CloseStressMain() {
    }

    public static void main(String[] args) throws Exception {
        int trials = args.length > 0 ? Integer.parseInt(args[0]) : 3000;
        long seed = args.length > 1 ? Long.parseLong(args[1]) : 1;
        SplittableRandom random = new SplittableRandom(seed);
        Queue failures = new Queue();
        Map<String, AtomicLong> refusals = new ConcurrentHashMap<>();
        Trials runner = new Trials(failures, refusals);
        long start = System.nanoTime();
        int trial = 0;
        try {
            for (; trial < trials && failures.size() < 20; trial++) {
                runner.run(trial, random.split(), random.nextLong(MAX_SPIN_NANOS));
            }
            runner.finish();
        } catch (TimeoutException | BrokenBarrierException hung) {
            // Recorded in failures; the hung workers are daemons, and exit(1) below ends them.
        }
        long raced = runner.stoppedByClose;
        long operations = runner.operations.get();
        long interrupted = runner.interruptedByClose.get();
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("close stress: %d trials in %.1f s, %d worker calls, %d workers stopped by a refusal"
                + " after close() began%n", trial, seconds, operations, raced);
        System.out.printf("  %d workers found their interrupt status set by the close (HotSpot's async-exception"
                + " handshake)%n", interrupted);
        new TreeMap<>(refusals).forEach((kind, n) -> System.out.printf("  refused %,d x: %s%n", n.get(), kind));
        if (!failures.isEmpty()) {
            System.out.println("FAILURES: " + failures.size());
            for (Throwable failure : failures) {
                failure.printStackTrace(System.out);
            }
            System.exit(1);
        }
        if (raced == 0) {
            System.out.println("FAILURES: no worker was ever stopped by close(): the trials did not race");
            System.exit(1);
        }
        System.out.println("CLOSE-STRESS-OK");
    }

    /** The failures of all trials, in order. */
    private static final class Queue extends ConcurrentLinkedQueue<Throwable> {
    }

    /**
     * The workers: {@link #WORKERS} platform threads that live for all trials (a thread start costs
     * more than a trial) and meet this thread at a barrier before and after each, and one virtual
     * thread per trial.
     */
    private static final class Trials {
        private final Queue failures;
        private final Map<String, AtomicLong> refusals;
        private final AtomicLong operations = new AtomicLong();
        private final AtomicLong interruptedByClose = new AtomicLong();
        private final CyclicBarrier begin = new CyclicBarrier(WORKERS + 1);
        private final CyclicBarrier end = new CyclicBarrier(WORKERS + 1);
        private final SplittableRandom[] randoms = new SplittableRandom[WORKERS + 1];
        private final boolean[] stopped = new boolean[WORKERS + 1];
        /** The trial's allocator, number and start latch; written before {@link #begin}, read after it. */
        private NativeAllocator allocator;
        private int number;
        private CountDownLatch running;
        private volatile boolean finished;
        private long stoppedByClose;

        Trials(Queue failures, Map<String, AtomicLong> refusals) {
            this.failures = failures;
            this.refusals = refusals;
            for (int w = 0; w < WORKERS; w++) {
                int id = w;
                Thread.ofPlatform().daemon().name("close-stress-" + w).start(() -> {
                    try {
                        while (true) {
                            begin.await();
                            if (finished) {
                                return;
                            }
                            work(id);
                            end.await();
                        }
                    } catch (InterruptedException | BrokenBarrierException e) {
                        failures.add(new AssertionError("worker " + id + " left the barrier", e));
                    }
                });
            }
        }

        void run(int trial, SplittableRandom random, long spinNanos) throws Exception {
            // Some trials with a memory limit (a small reservation, trims for memory), most without.
            number = trial;
            allocator = NativeAllocator.create(trial % 4 == 0
                    ? AllocatorConfig.defaults().withMemoryLimit(256L << 20) : AllocatorConfig.defaults());
            running = new CountDownLatch(WORKERS + 1);
            for (int w = 0; w <= WORKERS; w++) {
                randoms[w] = random.split();
                stopped[w] = false;
            }
            awaitBegin("trial " + trial);
            // The last worker is virtual: it goes through the striped caches.
            Thread virtual = Thread.ofVirtual().start(() -> work(WORKERS));
            if (!running.await(10, TimeUnit.SECONDS)) {
                failures.add(new AssertionError("trial " + trial + ": the workers did not start in 10 s"));
                throw new TimeoutException();
            }
            long until = System.nanoTime() + spinNanos;
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            allocator.close();
            try {
                end.await(10, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                failures.add(new AssertionError("trial " + trial + ": a worker still runs 10 s after close(): a call hangs"));
                throw e;
            }
            if (!virtual.join(Duration.ofSeconds(10))) {
                failures.add(new AssertionError("trial " + trial + ": the virtual worker still runs 10 s after close()"));
                throw new TimeoutException();
            }
            for (boolean s : stopped) {
                if (s) {
                    stoppedByClose++;
                }
            }
        }

        void finish() throws Exception {
            finished = true;
            awaitBegin("the end");
        }

        /** The start barrier, bounded: a worker that never comes back is a failure, not a hang. */
        private void awaitBegin(String when) throws Exception {
            try {
                begin.await(10, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                failures.add(new AssertionError(when + ": a worker did not come back to the start barrier in 10 s"));
                throw e;
            }
        }

        /** One worker's part of the trial: churn until a call throws, and judge what it threw. */
        private void work(int id) {
            NativeAllocator allocator = this.allocator;
            // Every other trial, one platform worker does only large blocks by address.
            Worker worker = new Worker(allocator, id, randoms[id], operations, id == 2 && number % 2 == 1);
            running.countDown();
            try {
                worker.churn();
            } catch (Throwable e) {
                judge(allocator, id, e);
            } finally {
                // HotSpot sets the interrupt status of a thread that it stops with an async
                // exception, and the close of a shared arena stops a thread inside an access to it
                // that way: a racing thread may leave the close interrupted. Counted, and cleared
                // for the barrier.
                if (Thread.interrupted()) {
                    interruptedByClose.incrementAndGet();
                }
            }
        }

        private void judge(NativeAllocator allocator, int id, Throwable thrown) {
            try {
                throw thrown;
            } catch (IllegalStateException e) {
                if (allocator.isOpen()) {
                    failures.add(new AssertionError("trial " + number + ", worker " + id
                            + ": IllegalStateException while the allocator was open", e));
                } else if (!isClosedRefusal(e)) {
                    failures.add(new AssertionError("trial " + number + ", worker " + id
                            + ": an IllegalStateException that does not say the allocator is closed", e));
                } else {
                    refusals.computeIfAbsent(kind(e), k -> new AtomicLong()).incrementAndGet();
                    stopped[id] = true;
                }
            } catch (Throwable e) {
                failures.add(new AssertionError("trial " + number + ", worker " + id + " ("
                        + (allocator.isOpen() ? "allocator open" : "after close began") + "): "
                        + e.getClass().getName() + ", not IllegalStateException", e));
            }
        }
    }

    /** Whether {@code e} (or a cause) is the refusal of a closed allocator or of a closed segment's access. */
    static boolean isClosedRefusal(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = t.getMessage();
            if (t instanceof IllegalStateException && message != null
                    && (message.contains("is closed") || message.equals("Already closed"))) {
                return true;
            }
        }
        return false;
    }

    /** The refusal's message with hex addresses and numbers blanked, to count kinds. */
    private static String kind(Throwable e) {
        String where = e.getStackTrace().length > 0 ? " at " + e.getStackTrace()[0].getClassName()
                .replace("io.segpool.allocator.", "") + "." + e.getStackTrace()[0].getMethodName() : "";
        return String.valueOf(e.getMessage()).replaceAll("0x[0-9a-f]+|[0-9]+", "N") + where;
    }

    /**
     * One racing thread: a random mix of every call, each block stamped on allocation and checked
     * before its free. Runs until a call throws.
     */
    private static final class Worker {
        private final NativeAllocator allocator;
        private final int id;
        private final SplittableRandom random;
        private final AtomicLong operations;
        private final MemorySegment[] segments = new MemorySegment[24];
        private final long[] stamps = new long[24];
        private final long[] addresses = new long[24];
        private final long[] addressSizes = new long[24];
        private long next;
        /** Only large blocks by address, viewed many times each: the large paths' lookups race the close. */
        private final boolean largeViews;

        Worker(NativeAllocator allocator, int id, SplittableRandom random, AtomicLong operations, boolean largeViews) {
            this.largeViews = largeViews;
            this.allocator = allocator;
            this.id = id;
            this.random = random;
            this.operations = operations;
        }

        void churn() {
            ThreadCache held = id == 0 ? allocator.threadCache() : null;
            long calls = 0;
            try {
                while (true) {
                    int slot = random.nextInt(segments.length);
                    int op = random.nextInt(100);
                    if (largeViews) {
                        largeViews(slot);
                    } else if (op < 40) {
                        segmentPair(held, slot);
                    } else if (op < 80) {
                        addressPair(held, slot);
                    } else if (op < 88) {
                        view(slot);
                    } else if (op < 93 && held != null) {
                        held.flush();
                    } else if (op < 96) {
                        allocator.trim();
                    } else {
                        // A burst of one class: refills and spills of the central stack.
                        long size = CLASS_SIZES[random.nextInt(CLASS_SIZES.length - 1)];
                        long[] burst = new long[40];
                        for (int i = 0; i < burst.length; i++) {
                            burst[i] = allocator.allocateAddress(size);
                            allocator.segment(burst[i], size).set(ValueLayout.JAVA_BYTE, size - 1, (byte) i);
                        }
                        for (long address : burst) {
                            allocator.freeAddress(address, size);
                        }
                    }
                    calls++;
                }
            } finally {
                operations.addAndGet(calls);
            }
        }

        private long size() {
            int r = random.nextInt(16);
            return r == 0 ? LARGE_SIZES[random.nextInt(LARGE_SIZES.length)] : CLASS_SIZES[random.nextInt(CLASS_SIZES.length)];
        }

        /** Frees the segment in {@code slot} after checking its stamp, then allocates a new one there. */
        private void segmentPair(ThreadCache held, int slot) {
            MemorySegment old = segments[slot];
            if (old != null) {
                check(old.get(LONG, 0), old.get(LONG, old.byteSize() - 8),
                        stamps[slot], old.address(), old.byteSize());
                segments[slot] = null;
                if (held != null && random.nextBoolean()) {
                    held.free(old);
                } else {
                    allocator.free(old);
                }
            }
            long size = size();
            MemorySegment fresh = held != null && random.nextBoolean() ? held.allocate(size) : allocator.allocate(size);
            long stamp = ++next * 31 + id;
            fresh.set(LONG, 0, stamp);
            fresh.set(LONG, size - 8, stamp);
            segments[slot] = fresh;
            stamps[slot] = stamp;
        }

        /** The same through addresses and {@code segment(address, size)} views. */
        private void addressPair(ThreadCache held, int slot) {
            long old = addresses[slot];
            if (old != 0) {
                long size = addressSizes[slot];
                MemorySegment view = allocator.segment(old, size);
                check(view.get(LONG, 0), view.get(LONG, size - 8),
                        old ^ size, old, size);
                addresses[slot] = 0;
                if (held != null && random.nextBoolean()) {
                    held.freeAddress(old, size);
                } else {
                    allocator.freeAddress(old, size);
                }
            }
            long size = size();
            long address = held != null && random.nextBoolean() ? held.allocateAddress(size) : allocator.allocateAddress(size);
            MemorySegment view = allocator.segment(address, size);
            view.set(LONG, 0, address ^ size);
            view.set(LONG, size - 8, address ^ size);
            addresses[slot] = address;
            addressSizes[slot] = size;
        }

        /** A large block by address, viewed and touched 64 times, then freed. */
        private void largeViews(int slot) {
            long size = LARGE_SIZES[slot % LARGE_SIZES.length];
            long address = allocator.allocateAddress(size);
            for (int i = 0; i < 64; i++) {
                MemorySegment view = allocator.segment(address + 4096L * i, 8);
                view.set(LONG, 0, view.get(LONG, 0) + i);
            }
            allocator.freeAddress(address, size);
        }

        /** A view of part of a held block: its middle, read and written. */
        private void view(int slot) {
            long address = addresses[slot];
            if (address == 0) {
                return;
            }
            long size = addressSizes[slot];
            if (size < 32) {
                return;
            }
            MemorySegment middle = allocator.segment(address + 8, size - 16);
            long v = middle.get(LONG, 0);
            middle.set(LONG, 0, v + 1);
        }

        private void check(long first, long last, long expected, long address, long size) {
            if (first != expected || last != expected) {
                // A read after close() throws; a read that returned a wrong value means another
                // thread wrote this block while this one held it.
                throw new AssertionError("block 0x" + Long.toHexString(address) + " (" + size + " B) holds "
                        + Long.toHexString(first) + "/" + Long.toHexString(last) + ", its owner wrote "
                        + Long.toHexString(expected));
            }
        }
    }
}
