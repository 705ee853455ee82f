package io.segpool.allocator;

/**
 * Thrown when a request needs memory mapped past {@link AllocatorConfig#memoryLimit()}, even after
 * a {@link NativeAllocator#trim()}. Nothing has changed but what that trim gave back, and the
 * allocator stays usable: free blocks and the same request may succeed.
 *
 * <p>An {@link OutOfMemoryError}, as the JDK's own cap on native memory is: a direct
 * {@code ByteBuffer} past {@code -XX:MaxDirectMemorySize} throws
 * {@code OutOfMemoryError("Cannot reserve N bytes of direct buffer memory (allocated: A, limit: L)")}.
 * Code that already handles running out of native memory handles this too; code that wants to
 * tell a configured cap from the OS refusing (a plain {@code OutOfMemoryError}) catches this type.
 */
public final class MemoryLimitException extends OutOfMemoryError {

    private static final long serialVersionUID = 1L;

    /** Bytes the refused mapping needed. */
    private final long requested;
    /** The configured memory limit. */
    private final long limit;
    /** {@code Sys} when the request was refused. */
    private final long sys;

    MemoryLimitException(String message, long requested, long limit, long sys) {
        super(message);
        this.requested = requested;
        this.limit = limit;
        this.sys = sys;
    }

    /** {@return the bytes the refused mapping needed: a whole chunk, or a large block rounded up to 64 KiB} */
    public long requested() {
        return requested;
    }

    /** {@return the configured {@link AllocatorConfig#memoryLimit()}} */
    public long limit() {
        return limit;
    }

    /** {@return {@code Sys} when the request was refused} */
    public long sys() {
        return sys;
    }
}
