package io.segpool.allocator;

import io.segpool.stats.MemStats;
import org.jetbrains.lincheck.datastructures.ManagedStrategyGuaranteeKt;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.ThreadIdGen;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Lincheck model checking of the ring + central stack paths of {@link NativeAllocator} against a
 * sequential model ({@link Model}): threads allocate bursts of 64-byte blocks by address (each
 * burst refills), free bursts of what they hold (each burst spills), hand a block to whichever
 * thread takes it next and frees it there (a free into another thread's ring), make a wrong free,
 * and trim.
 *
 * <p>Each operation returns what the model predicts for the same history, so that Lincheck's
 * linearizability check is a check of the allocator: an allocation returns how many of its
 * blocks no other thread held (each block's first word carries a mark of its holder, swapped in
 * atomically: a block handed out twice lowers the count); a free, how many blocks it freed with
 * their mark intact; a take, whether a handed-over block was there, and whether it was intact
 * and its free accepted; a wrong free (a held block with the
 * wrong size), the exception's class. {@link #validate()} checks at the end of every run that no
 * address is held twice, {@code Sys} is conserved and {@code Inuse} is the blocks held and handed
 * over.
 *
 * <p>{@code Inuse} is not an operation: a burst is 33 allocations, not one, and a read during it
 * sees part of the burst (Lincheck found {@code inuse(): 704}, 11 blocks, beside
 * {@code allocate(1): 33}); no model of whole bursts can predict that, and single-block operations
 * would never refill or spill in the few operations a thread runs. MemStats promise exact sums at
 * a quiet moment only (README), which is what the validation checks.
 */
@Param(name = "tid", gen = ThreadIdGen.class)
public class AllocatorLincheckTest {

    private static final long SIZE = 64;
    private static final long CLASS_SIZE = SizeClasses.size(SizeClasses.classOf(SIZE));
    private static final int MAX_THREADS = 4;
    /** Blocks per operation: 33 crosses refills of 16, and freeing 33 overflows a ring of 32: a spill. */
    private static final int BURST = 33;
    private static final int MAX_HELD = 8 * BURST;
    /** What {@link #take} returns. */
    private static final int EMPTY = 0;
    private static final int FREED_INTACT = 1;
    private static final int MARK_CHANGED = 2;
    private static final int FREE_REFUSED = 3;
    /** The first word of a block being freed. */
    private static final long FREED = 0xF5EE_F5EE_F5EE_F5EEL;
    private static final VarHandle WORD = ValueLayout.JAVA_LONG.varHandle();

    /**
     * Every invocation's allocator, closed when the check ends: Lincheck makes thousands, and
     * closing one inside an invocation trips its tracking of the arena's cleanup. A memory limit
     * keeps each reservation at 1 GiB of address space instead of 64 GiB.
     */
    private static final ConcurrentLinkedQueue<NativeAllocator> MADE = new ConcurrentLinkedQueue<>();

    private final NativeAllocator allocator = made(NativeAllocator.create(AllocatorConfig.defaults()
            .withMemoryLimit(16L << 20)));
    private final long[][] held = new long[MAX_THREADS][MAX_HELD];
    private final int[] count = new int[MAX_THREADS];
    private final Registry registry = new Registry();

    /**
     * The hand-over queue, the harness's own: its methods are atomic to Lincheck (the guarantee in
     * {@link #check()}), so that the interleavings explored are the allocator's.
     */
    static final class Registry {
        private final ArrayDeque<Long> handOver = new ArrayDeque<>();

        synchronized void offer(long address) {
            handOver.add(address);
        }

        synchronized long poll() {
            Long address = handOver.poll();
            return address == null ? 0 : address;
        }
    }

    private static NativeAllocator made(NativeAllocator allocator) {
        MADE.add(allocator);
        return allocator;
    }

    /** The first word of a block, through a raw segment: the FFM code is left out of the exploration. */
    private static MemorySegment word(long address) {
        return MemorySegment.ofAddress(address).reinterpret(8);
    }

    /**
     * What the first word of a held block holds. A thread that gets a block swaps it in
     * atomically and looks at what was there: this mark means another thread holds the block (it
     * was handed out twice). A thread that frees one swaps {@link #FREED} in and expects the mark.
     */
    private static long heldMark(long address) {
        return ~address * 31;
    }

    private static long swap(long address, long value) {
        return (long) WORD.getAndSet(word(address), 0L, value);
    }

    @Operation
    public int allocate(@Param(name = "tid") int tid) {
        if (count[tid] + BURST > MAX_HELD) {
            return 0;
        }
        int fresh = 0;
        for (int i = 0; i < BURST; i++) {
            long address = allocator.allocateAddress(SIZE);
            held[tid][count[tid]++] = address;
            if (swap(address, heldMark(address)) != heldMark(address)) {
                fresh++;
            }
        }
        return fresh;
    }

    @Operation
    public int free(@Param(name = "tid") int tid) {
        int intact = 0;
        for (int i = 0; i < BURST && count[tid] > 0; i++) {
            long address = held[tid][--count[tid]];
            if (swap(address, FREED) == heldMark(address)) {
                intact++;
            }
            allocator.freeAddress(address, SIZE);
        }
        return intact;
    }

    /** Hands one held block to whichever thread takes next; false when none is held. */
    @Operation
    public boolean give(@Param(name = "tid") int tid) {
        if (count[tid] == 0) {
            return false;
        }
        registry.offer(held[tid][--count[tid]]);
        return true;
    }

    /** Takes a handed-over block, checks its mark and frees it on this thread. */
    @Operation
    public int take() {
        long address = registry.poll();
        if (address == 0) {
            return EMPTY;
        }
        boolean intact = swap(address, FREED) == heldMark(address);
        try {
            allocator.freeAddress(address, SIZE);
        } catch (RuntimeException refused) {
            return FREE_REFUSED;
        }
        return intact ? FREED_INTACT : MARK_CHANGED;
    }

    /** Frees a held block with a wrong size: refused, whatever the other thread does. */
    @Operation
    public String wrongFree(@Param(name = "tid") int tid) {
        if (count[tid] == 0) {
            return "none held";
        }
        try {
            allocator.freeAddress(held[tid][count[tid] - 1], SIZE - 16);
            return "accepted";
        } catch (RuntimeException refused) {
            return refused.getClass().getSimpleName();
        }
    }

    @Operation
    public void trim() {
        allocator.trim();
    }

    /** The sequential model: blocks held per thread and in hand-over; each operation returns what the test's does. */
    public static class Model {
        private final int[] held = new int[MAX_THREADS];
        private int handedOver;

        public int allocate(int tid) {
            if (held[tid] + BURST > MAX_HELD) {
                return 0;
            }
            held[tid] += BURST;
            return BURST;
        }

        public int free(int tid) {
            int n = Math.min(BURST, held[tid]);
            held[tid] -= n;
            return n;
        }

        public boolean give(int tid) {
            if (held[tid] == 0) {
                return false;
            }
            held[tid]--;
            handedOver++;
            return true;
        }

        public int take() {
            if (handedOver == 0) {
                return EMPTY;
            }
            handedOver--;
            return FREED_INTACT;
        }

        public String wrongFree(int tid) {
            return held[tid] == 0 ? "none held" : IllegalArgumentException.class.getSimpleName();
        }

        public void trim() {
        }
    }

    @Validate
    public void validate() {
        Set<Long> seen = new HashSet<>();
        long blocks = 0;
        for (int t = 0; t < MAX_THREADS; t++) {
            for (int i = 0; i < count[t]; i++) {
                if (!seen.add(held[t][i])) {
                    throw new AssertionError("address 0x" + Long.toHexString(held[t][i]) + " held twice");
                }
                blocks++;
            }
        }
        long address;
        while ((address = registry.poll()) != 0) {
            if (!seen.add(address)) {
                throw new AssertionError("address 0x" + Long.toHexString(address) + " held and handed over");
            }
            blocks++;
        }
        MemStats stats = new MemStats();
        allocator.readMemStats(stats);
        if (stats.sys() != stats.inuse() + stats.cached() + stats.central() + stats.released()) {
            throw new AssertionError("Sys != Inuse + Cached + Central + Released\n" + stats);
        }
        if (stats.inuse() != CLASS_SIZE * blocks) {
            throw new AssertionError("Inuse " + stats.inuse() + " != " + CLASS_SIZE + " x " + blocks
                    + " blocks held\n" + stats);
        }
    }

    @Test
    void modelChecking() {
        try {
            check();
        } finally {
            NativeAllocator allocator;
            while ((allocator = MADE.poll()) != null) {
                allocator.close();
            }
        }
    }

    private static void check() {
        new ModelCheckingOptions()
                .threads(2)
                .actorsPerThread(3)
                .actorsBefore(2)
                .actorsAfter(1)
                .iterations(4)
                .invocationsPerIteration(100)
                .sequentialSpecification(Model.class)
                // trim() walks all 112 central stacks: a long loop, not a livelock.
                // (the default bound of 50 iterations reports it as hung).
                .loopBound(1_000)
                // SizeClasses is pure arithmetic over final tables; its loops are not waits. The
                // hand-over queue is the harness's, not the allocator's: atomic, so not explored.
                .addGuarantee(ManagedStrategyGuaranteeKt.forClasses(SizeClasses.class.getName()).allMethods().ignore())
                .addGuarantee(ManagedStrategyGuaranteeKt.forClasses(Registry.class.getName()).allMethods().ignore())
                // readMemStats runs only in validate(), after the threads: nothing to explore in it,
                // and tracking its 112-class walk made the validations most of the run's time.
                .addGuarantee(ManagedStrategyGuaranteeKt.forClasses(NativeAllocator.class.getName())
                        .methods("readMemStats").ignore())
                // The FFM implementation (segment bounds and scope checks) holds no state of the
                // allocator's on the Java heap: exploring its steps only makes each run longer.
                .addGuarantee(ManagedStrategyGuaranteeKt.forClasses(name -> name.startsWith("jdk.internal.foreign.")
                        || name.startsWith("java.lang.foreign.") || name.startsWith("jdk.internal.misc.ScopedMemoryAccess"))
                        .allMethods().ignore())
                .check(AllocatorLincheckTest.class);
    }
}
