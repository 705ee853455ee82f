package io.segpool.allocator;

/**
 * A property run that broke the model: a call the model refuses was accepted (or the reverse, or
 * with another exception type), or an invariant failed after a step. {@link #signature} names the
 * kind of break with every number taken out, so that the shrinker keeps only shorter sequences
 * that fail the same way, and a survey counts each hole once.
 */
final class ModelFailure extends AssertionError {

    private static final long serialVersionUID = 1L;

    final String signature;
    /** The index of the step that failed: the steps after it play no part. */
    final int step;

    ModelFailure(String signature, String message, Throwable cause, int step) {
        super(message, cause);
        this.signature = signature;
        this.step = step;
    }

    /** {@code text} with addresses and numbers replaced by '#': the same hole at another size reads the same. */
    static String normalize(String text) {
        return text.replaceAll("0x[0-9a-fA-F]+", "#").replaceAll("-?\\d+", "#");
    }
}
