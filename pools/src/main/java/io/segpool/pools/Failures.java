package io.segpool.pools;

/**
 * The first-throwable-wins bookkeeping of the pools' multi-step operations (a scope running its
 * actions, a frame giving back its blocks): every step runs even when an earlier one threw, the
 * first throwable is the one the caller sees, later ones ride along as suppressed, as
 * try-with-resources does. Without it a step that threw would skip the steps after it and leave
 * the operation half done.
 */
final class Failures {

    private Failures() {
    }

    /** {@code first} with {@code next} added as suppressed; {@code next} alone when there is no first. */
    static Throwable add(Throwable first, Throwable next) {
        if (first == null) {
            return next;
        }
        if (next != null && next != first) {
            first.addSuppressed(next);
        }
        return first;
    }

    /**
     * {@code failure} as an unchecked throwable to throw: itself when it is one (an {@link Error} is
     * thrown from here), else wrapped, since no pool method declares a checked exception.
     */
    static RuntimeException propagate(Throwable failure) {
        if (failure instanceof RuntimeException runtime) {
            return runtime;
        }
        if (failure instanceof Error error) {
            throw error;
        }
        return new java.lang.reflect.UndeclaredThrowableException(failure, "a deferred action threw " + failure);
    }
}
