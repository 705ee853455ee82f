package io.segpool.jcstress;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Holds a segment's memory session acquired, as the JDK itself does for the length of a downcall
 * or a blocking NIO read or write into the segment: while it is held, closing the segment's arena
 * throws {@link IllegalStateException} ("Session is acquired by 1 clients"), so segpool cannot
 * unmap a large block that such a call is still using. That refusal is the fault a user meets
 * when a block's view is inside a blocking write while another thread's free evicts it.
 *
 * <p>A real blocking call would need a thread per jcstress state; this takes the same hold the
 * JDK takes, {@code jdk.internal.foreign.MemorySessionImpl.acquire0()} and {@code release0()},
 * which needs {@code --add-exports=java.base/jdk.internal.foreign=ALL-UNNAMED} (jcstress/run.sh
 * passes it to every forked VM). Without it this class fails to initialise, and the test using it errors
 * instead of passing untested.
 */
final class ScopeHold {

    private static final MethodHandle ACQUIRE;
    private static final MethodHandle RELEASE;

    static {
        try {
            Class<?> session = Class.forName("jdk.internal.foreign.MemorySessionImpl");
            MethodHandles.Lookup lookup = MethodHandles.lookup(); // exported to this module by --add-exports
            ACQUIRE = lookup.findVirtual(session, "acquire0", MethodType.methodType(void.class));
            RELEASE = lookup.findVirtual(session, "release0", MethodType.methodType(void.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(new IllegalStateException(
                    "run with --add-exports=java.base/jdk.internal.foreign=ALL-UNNAMED", e));
        }
    }

    private ScopeHold() {
    }

    /** Acquires {@code segment}'s session: its arena cannot close until {@link #release}. */
    static void acquire(MemorySegment segment) {
        try {
            ACQUIRE.invoke(segment.scope());
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** Lets go of a hold that {@link #acquire} took. */
    static void release(MemorySegment segment) {
        try {
            RELEASE.invoke(segment.scope());
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }
}
