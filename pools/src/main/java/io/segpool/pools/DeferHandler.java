package io.segpool.pools;

/**
 * A deferred action. Register it once with {@link DeferPool#register(DeferHandler)}, which names it
 * by a small id, and defer it by that id as often as needed: a defer copies only the id and the
 * argument bytes, never a lambda, so deferring makes no heap garbage.
 */
@FunctionalInterface
public interface DeferHandler {

    /**
     * Runs the action.
     *
     * @param args the argument bytes this defer was given; valid only during this call
     */
    void run(DeferArgs args);
}
