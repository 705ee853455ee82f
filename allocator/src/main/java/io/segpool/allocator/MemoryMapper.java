package io.segpool.allocator;

import java.lang.foreign.Arena;

/**
 * Where {@link Heap} and {@link SpanSource} get memory from and give it back to: the seam between
 * segpool and the OS, and the JDK calls around it that can fail (closing an arena, making a leak
 * record). {@link OsMemory#INSTANCE} is the only implementation in production; it exists as an
 * interface so that tests can make any of these edges fail on demand (the n-th call of a kind)
 * and check that the fault leaves the allocator whole: the operation completes, or nothing
 * changed, and every byte stays counted.
 */
interface MemoryMapper {

    /**
     * Maps {@code length} bytes of fresh, zero-filled memory and returns its address. Throws
     * {@link OutOfMemoryError} when the OS refuses, with nothing mapped.
     */
    long map(long length);

    /** Gives {@code [address, address + length)} back; a length of 0 does nothing. */
    void unmap(long address, long length);

    /**
     * Reserves {@code length} bytes of address space, inaccessible until committed, and returns
     * its address. Throws {@link OutOfMemoryError} when the OS refuses.
     */
    long reserve(long length);

    /**
     * Makes part of a reservation readable and writable. Throws {@link OutOfMemoryError} when the
     * OS refuses, with nothing changed.
     */
    void commit(long address, long length);

    /** Drops the pages of a committed range; it stays mapped and reads zeros when touched again. */
    void release(long address, long length);

    /**
     * Closes an arena over segpool's memory, turning its segments invalid. The JDK refuses with
     * {@link IllegalStateException} while a downcall holds one of them ("session is acquired"),
     * with nothing changed: a JDK edge that can fail, so it goes through this seam too.
     */
    default void closeArena(Arena arena) {
        arena.close();
    }

    /**
     * Called before a leak-tracking record (a stack trace and a map entry) is made: the
     * allocation that {@link OutOfMemoryError} can refuse. Does nothing outside tests.
     */
    default void beforeLeakRecord() {
    }
}
