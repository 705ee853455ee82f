package io.segpool.pools;

/**
 * The owner-thread rule of the pools' single-thread objects ({@link SegmentedStack} and its
 * frames, {@link DeferScope}, {@link DeferArgs}): only one thread may use the object, and any
 * other gets {@link WrongThreadException}, as a confined {@link java.lang.foreign.Arena}'s segment
 * throws. Written once so that every such object words the refusal the same way. (The
 * allocator's {@code ThreadCache} keeps its own: it is in another module.)
 */
final class Owner {

    private Owner() {
    }

    /**
     * Throws unless the calling thread is {@code owner}; {@code what} names the object ("a
     * SegmentedStack") and {@code hint} is appended to the message (empty for none). Both are
     * constants at every call site, so the check costs a thread read and a compare.
     */
    static void check(Thread owner, String what, String hint) {
        Thread caller = Thread.currentThread();
        if (caller != owner) {
            throw new WrongThreadException(what + " belongs to " + owner + ", but " + caller + " used it" + hint);
        }
    }
}
