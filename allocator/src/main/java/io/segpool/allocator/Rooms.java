package io.segpool.allocator;

/**
 * What every room of one allocator is built with besides its own state: the allocator's name (for
 * events and messages), whether it is open, the narrow {@link MemoryPressure} view of the
 * trimmer, the cached-bytes budget and the block checks. Wiring only: a room copies the parts it
 * needs into final fields of its own, and none of them is the allocator.
 *
 * @param name the allocator's name
 * @param live whether the allocator is open
 * @param pressure trim before refusing, and the cached-bytes limit
 * @param cached the bytes the central stacks hold, against the cached-bytes limit
 * @param checks the slow path of the block checks
 */
record Rooms(String name, Liveness live, MemoryPressure pressure, CachedBytes cached, BlockChecks checks) {
}
