package io.segpool.jcstress;

import io.segpool.allocator.NativeAllocator;
import io.segpool.allocator.ThreadCache;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIIII_Result;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * A borrow whose virtual thread ends while another borrows (issue 17, item 5). Virtual threads
 * share 2 x CPUs striped caches; a virtual thread that ends without closing its
 * {@link NativeAllocator#borrowCache()} must not keep its stripe for good, and taking the stripe
 * over must not let two threads use it.
 *
 * <p>The state makes every stripe but one busy with a live virtual thread that borrowed and waits
 * (a holder), then lets one more virtual thread borrow the last stripe, allocate, free half and
 * end without closing: the one stripe left is held by an ended thread, with blocks in its ring.
 * Each actor then starts a virtual thread ({@link Borrower}) that borrows, so both must get the
 * ended thread's stripe, one after the other, and race for it:
 * <ul>
 * <li>both borrowers race to reclaim the same dead thread's stripe;</li>
 * <li>actor 1's borrower closes its borrow and ends, so if it won, actor 2's borrower takes the
 *     stripe racing its normal release;</li>
 * <li>actor 2's borrower ends WITHOUT closing, so if it won, actor 1's borrower must reclaim the
 *     stripe from a thread that ended while it was waiting.</li>
 * </ul>
 * The two borrowers meet at a {@link StartGate} before they borrow, so that their reclaims
 * overlap (a reclaim by a read and then a write of the owner, tried on a local copy of the
 * allocator, was caught in about 30% of samples; without the gate, in 1 of 10,000). Each stamps its
 * blocks and checks them; the arbiter checks that no block is held twice, that every stamp is
 * intact and that both borrows completed. Each state takes the next of the {@link SizeCase} sizes.
 *
 * <p>On code that never gives back an ended borrower's stripe, both borrows park for good: each
 * actor waits {@link RaceChecks#JOIN_TIMEOUT} (after the first hang in a VM, later samples do not
 * wait), reports its borrower hung and closes the allocator, which ends the borrower's wait with
 * an exception, so the run goes on to its verdict.
 *
 * <p>Result: (blocks held twice, stamps overwritten, borrows hung, errors: a thread threw, a
 * borrower got a live holder's stripe or the setup failed, borrowers that got the ended thread's
 * stripe, block size). {@link DeadBorrowReclaimBroken} runs the shape on a reclaim without a
 * compare-and-set.
 */
@JCStressTest
@Description("Two virtual threads borrowing the one stripe whose borrower ended without closing it")
@Outcome(id = "0, 0, 0, 0, 2, [0-9]+", expect = ACCEPTABLE, desc = "both borrowers used the ended thread's stripe in turn; every block once, stamps intact")
@Outcome(id = "0, 0, 0, 0, [01], [0-9]+", expect = ACCEPTABLE_INTERESTING, desc = "a borrower got another cache: the reclaim replaced the stripe, or there are more than 2 x CPUs stripes")
@Outcome(id = "[1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a block held twice: by two borrowers, or by a borrower and the ended thread")
@Outcome(id = "0, [1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a stamp overwritten: two threads wrote one block")
@Outcome(id = "0, 0, [1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a borrow hung: the ended thread's stripe never came back")
@Outcome(id = "0, 0, 0, [1-9][0-9]*, .*", expect = FORBIDDEN, desc = "a thread threw, a borrower got a live holder's stripe, or the setup failed")
@Outcome(expect = FORBIDDEN, desc = "any other result")
@State
public class DeadBorrowReclaimRace {

    private final SizeCase sizes = SizeCase.next();
    private final NativeAllocator allocator = RaceChecks.newAllocator();
    /**
     * The allocator's stripe count, two per processor as {@code CacheRegistry} counts them when the
     * allocator is made: read on the same thread, since {@code availableProcessors()} follows the
     * calling thread's CPU mask, and jcstress pins each actor thread (which builds states) to one
     * CPU. An allocator made there has 2 stripes, one made on jcstress's main thread 2 x CPUs.
     */
    private final int stripes = 2 * Runtime.getRuntime().availableProcessors();
    private final CountDownLatch letGo = new CountDownLatch(1);
    private final Thread[] holders = new Thread[stripes - 1];
    /** The holders' stripes; each written before its holder counts down {@code borrowed}. */
    private final ThreadCache[] held = new ThreadCache[stripes - 1];
    private final Borrower dead = new Borrower(allocator, sizes, 0, false, null);
    /** The two borrowers meet here before they borrow, so that their reclaims overlap. */
    private final StartGate gate = new StartGate(2);
    private final Borrower first = new Borrower(allocator, sizes, 1, true, gate);
    private final Borrower second = new Borrower(allocator, sizes, 2, false, gate);
    private int setupErrors;
    /** Plain; each written by its actor, read by the arbiter after both. */
    private int hung1;
    private int hung2;

    public DeadBorrowReclaimRace() {
        CountDownLatch borrowed = new CountDownLatch(holders.length);
        for (int i = 0; i < holders.length; i++) {
            int slot = i;
            holders[i] = Thread.ofVirtual().start(() -> {
                try (ThreadCache cache = allocator.borrowCache()) {
                    held[slot] = cache;
                    borrowed.countDown();
                    letGo.await(); // holds the stripe until the arbiter
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        try {
            if (!borrowed.await(RaceChecks.JOIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                setupErrors++;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            setupErrors++;
        }
        if (!RaceChecks.ended(dead.start().thread) || dead.threw != 0 || dead.stampErrors != 0) {
            setupErrors++;
        }
    }

    @Actor
    public void actor1() {
        hung1 = borrowed(first.start()) ? 0 : 1;
    }

    @Actor
    public void actor2() {
        hung2 = borrowed(second.start()) ? 0 : 1;
    }

    /**
     * Whether {@code borrower} ended in time. If not, the sample has failed, and the allocator is
     * closed at once: a hung borrower's wait checks for that every round and throws, so it ends
     * now, instead of thousands of hung borrowers waking every millisecond until their arbiters
     * run. (Letting the holders go is not enough: with two stripes, the borrower that leaks would
     * take the one stripe they free, and the other would still hang.)
     */
    private boolean borrowed(Borrower borrower) {
        if (RaceChecks.joined(borrower.thread)) {
            return true;
        }
        allocator.close();
        RaceChecks.ended(borrower.thread);
        return false;
    }

    @Arbiter
    public void arbiter(IIIIII_Result r) {
        try {
            letGo.countDown();
            int errors = setupErrors;
            for (Thread holder : holders) {
                errors += RaceChecks.ended(holder) ? 0 : 1;
            }
            errors += RaceChecks.ended(first.thread) && RaceChecks.ended(second.thread) ? 0 : 1;
            r.r3 = hung1 + hung2;
            r.r6 = (int) sizes.size();
            if (r.r3 != 0) {
                r.r4 = errors;
                return; // an actor closed the allocator: the blocks and stripes say nothing more
            }
            r.r1 = RaceChecks.seenTwice(dead.addresses(), first.addresses(), second.addresses());
            r.r2 = first.stampErrors + second.stampErrors
                    + dead.brokenStamps() + first.brokenStamps() + second.brokenStamps();
            errors += first.threw + second.threw;
            int onDeadStripe = 0;
            for (Borrower b : new Borrower[] {first, second}) {
                onDeadStripe += b.stripe == dead.stripe ? 1 : 0;
                for (ThreadCache stripe : held) {
                    errors += b.stripe == stripe ? 1 : 0;
                }
            }
            r.r4 = errors;
            r.r5 = onDeadStripe;
        } finally {
            allocator.close();
        }
    }
}
