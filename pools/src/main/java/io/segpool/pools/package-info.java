/**
 * Fixed-size stack segments and defer blocks on the segpool allocator: {@code StackPool},
 * {@code SegmentedStack} and {@code Frame}; {@code DeferPool}, {@code DeferScope},
 * {@code DeferHandler} and {@code DeferArgs}.
 *
 * <p>Both pools own an allocator of their own, configured with an
 * {@link io.segpool.allocator.AllocatorConfig} from their {@code defaultConfig()}, and both are
 * {@link io.segpool.stats.MemStatsSource}s: {@code readMemStats} fills every field with the pool's
 * own allocator's figures (its {@code Sys} is the pool's {@code StackSys} or {@code DeferSys}),
 * {@code readPoolStats} only the pool's two fields, to add them to an allocator's. Every close is
 * idempotent; every refusal is an {@link IllegalStateException}, {@link IllegalArgumentException}
 * or {@link WrongThreadException} thrown before anything changes.
 */
package io.segpool.pools;
