package io.segpool.allocator;

/**
 * Where {@link Heap} and {@link ChunkSource} get memory from and gives it back to: the seam between segpool and
 * the OS. {@link OsMemory#INSTANCE} ({@code mmap}/{@code munmap}) is the only implementation in
 * production; it exists as an interface so that tests can make the OS refuse a mapping on demand
 * and check that the refusal leaves the allocator whole.
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
}
