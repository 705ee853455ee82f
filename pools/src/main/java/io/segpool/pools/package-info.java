/**
 * Fixed-size stack segments and defer blocks on the segpool allocator: {@code StackPool},
 * {@code SegmentedStack}, {@code DeferPool}, {@code DeferScope}.
 */
package io.segpool.pools;
