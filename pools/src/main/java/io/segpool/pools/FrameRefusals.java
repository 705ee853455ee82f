package io.segpool.pools;

/**
 * The refusals of a {@link SegmentedStack}'s frame rules, off the stack's fast path: only the
 * innermost open frame may allocate or close, a request needs a size of 0 or more and a
 * power-of-two alignment, and a stack holds at most {@link SegmentedStack#MAX_DEPTH} frames.
 * Each is thrown before anything changes.
 */
final class FrameRefusals {

    private FrameRefusals() {
    }

    /**
     * Why the frame of {@code token} at {@code frameDepth} may not {@code action} ("allocate in",
     * "close"): it is closed ({@code frameClosed}), or an inner frame, at {@code depth}, is open.
     */
    static IllegalStateException notInnermost(String action, long token, int frameDepth, boolean frameClosed,
                                              int depth) {
        String frame = "cannot " + action + " frame " + Long.toUnsignedString(token) + " at depth " + frameDepth;
        return new IllegalStateException(frameClosed ? frame + ": it is closed"
                : frame + ": frames close innermost first, and the frame at depth " + depth + " is still open");
    }

    /**
     * Refuses a negative size or an alignment that is not a power of two. The bounds above them
     * (the largest block, the largest alignment) are the allocator's: a request that large is a
     * big block, and the allocator refuses it with its own message.
     */
    static void checkRequest(long size, long alignment) {
        if (size < 0) {
            throw new IllegalArgumentException("frame allocation size " + size + " is negative");
        }
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0) {
            throw new IllegalArgumentException("alignment " + alignment + " is not a power of two");
        }
    }

    static IllegalStateException overflow() {
        return new IllegalStateException("stack overflow: " + SegmentedStack.MAX_DEPTH + " frames are open, the"
                + " most a SegmentedStack holds");
    }
}
