package io.segpool.allocator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A {@link ThreadCache} frees only for the thread it belongs to: another thread's free through it
 * (by segment or by address), or its close of a borrowed cache, is refused with
 * {@link WrongThreadException} naming both threads and changes nothing; a borrowed cache used
 * after its close is refused with {@link IllegalStateException}, and the block it held frees
 * through the allocator.
 */
@Timeout(60)
class CacheOwnerMutationTest {

    private static final long WAIT_SECONDS = 30;
    private NativeAllocator allocator;

    @BeforeEach
    void setUp() {
        allocator = NativeAllocator.create();
    }

    @AfterEach
    void tearDown() {
        allocator.close();
    }

    /** Runs {@code call} on a new platform thread and returns what it threw, or null. */
    private static Throwable onAnotherThread(String name, Runnable call) throws Exception {
        CompletableFuture<Throwable> thrown = new CompletableFuture<>();
        Thread thread = Thread.ofPlatform().name(name).start(() -> {
            try {
                call.run();
                thrown.complete(null);
            } catch (Throwable e) {
                thrown.complete(e);
            }
        });
        Throwable result = thrown.get(WAIT_SECONDS, TimeUnit.SECONDS);
        thread.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
        return result;
    }

    @Test
    void anotherThreadsFreeThroughACacheIsRefusedAndChangesNothing() throws Exception {
        ThreadCache cache = allocator.threadCache();
        MemorySegment block = cache.allocate(64);
        long address = cache.allocateAddress(64);
        var before = TestSupport.stats(allocator);
        for (Runnable wrong : new Runnable[] {() -> cache.free(block), () -> cache.freeAddress(address, 64)}) {
            Throwable thrown = onAnotherThread("intruder", wrong);
            assertTrue(thrown instanceof WrongThreadException, String.valueOf(thrown));
            String message = thrown.getMessage();
            assertTrue(message.contains("belongs to the thread that got it (" + Thread.currentThread() + ")"), message);
            assertTrue(message.contains("intruder"), message);
        }
        assertEquals(before, TestSupport.stats(allocator));
        cache.free(block);
        cache.freeAddress(address, 64);
        assertEquals(0, TestSupport.stats(allocator).inuse());
    }

    @Test
    void aBorrowedCacheIsClosedOnlyByItsBorrowerAndRefusedAfterItsClose() throws Exception {
        AtomicReference<ThreadCache> borrowed = new AtomicReference<>();
        AtomicReference<MemorySegment> block = new AtomicReference<>();
        CountDownLatch lent = new CountDownLatch(1);
        CountDownLatch tried = new CountDownLatch(1);
        CompletableFuture<Throwable> afterClose = new CompletableFuture<>();
        Thread borrower = Thread.ofVirtual().start(() -> {
            try {
                ThreadCache cache = allocator.borrowCache();
                borrowed.set(cache);
                block.set(cache.allocate(64));
                lent.countDown();
                if (!tried.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
                    throw new AssertionError("the main thread never tried");
                }
                cache.close();
                afterClose.complete(assertThrows(IllegalStateException.class, () -> cache.free(block.get())));
            } catch (Throwable e) {
                afterClose.complete(e);
            }
        });
        assertTrue(lent.await(WAIT_SECONDS, TimeUnit.SECONDS), "the virtual thread never borrowed");
        ThreadCache cache = borrowed.get();
        WrongThreadException notYours = assertThrows(WrongThreadException.class, cache::close);
        assertTrue(notYours.getMessage().contains(Thread.currentThread().toString()), notYours.getMessage());
        assertThrows(WrongThreadException.class, () -> cache.free(block.get()));
        tried.countDown();
        Throwable refused = afterClose.get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertTrue(refused instanceof IllegalStateException, String.valueOf(refused));
        assertTrue(refused.getMessage().contains("was borrowed and given back (close())"), refused.getMessage());
        borrower.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
        assertEquals(64, TestSupport.stats(allocator).inuse(), "the refused free changed nothing");
        allocator.free(block.get());
        assertEquals(0, TestSupport.stats(allocator).inuse());
    }
}
