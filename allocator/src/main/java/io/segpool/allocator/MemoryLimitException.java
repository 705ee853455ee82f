package io.segpool.allocator;

/**
 * Thrown when a request needs memory mapped past {@link AllocatorConfig#memoryLimit()}, even after
 * a {@link NativeAllocator#trim()}. Nothing has changed but what that trim gave back, and the
 * allocator stays usable: free blocks, and the same request may succeed.
 *
 * <p>A limit the user set is an ordinary condition that request or query code catches and
 * recovers from (spill to disk, shed the request, retry later), so this is a
 * {@link RuntimeException}, caught by {@code catch (Exception e)}, as Arrow's
 * {@code OutOfMemoryException} is. The OS refusing memory is different, a plain
 * {@link OutOfMemoryError}, as the JDK's {@code Arena} throws.
 */
public final class MemoryLimitException extends RuntimeException {

    private static final long serialVersionUID = 2L;

    /** Bytes the refused mapping needed. */
    private final long requested;
    /** The configured memory limit. */
    private final long limit;
    /** {@code Sys - Released} when the request was refused. */
    private final long resident;

    MemoryLimitException(String message, long requested, long limit, long resident) {
        super(message);
        this.requested = requested;
        this.limit = limit;
        this.resident = resident;
    }

    /**
     * {@return the bytes the refused mapping needed: a whole chunk of the request's size class,
     * or a large block's mapping (its {@link NativeAllocator#blockSize})}
     */
    public long requested() {
        return requested;
    }

    /** {@return the configured {@link AllocatorConfig#memoryLimit()}} */
    public long limit() {
        return limit;
    }

    /**
     * {@return the bytes that counted against the limit when the request was refused: {@code Sys
     * - Released}, the memory mapped and not given back to the OS}
     */
    public long resident() {
        return resident;
    }
}
