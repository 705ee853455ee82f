/**
 * Arrow on segpool on the module path, as a user would write it: it requires segpool's Arrow
 * module only; Arrow's memory core, its Unsafe manager (which Arrow's BaseAllocator loads as its
 * static default) and segpool's allocator must come from io.segpool.arrow's own requires.
 */
module arrowapp {
    requires io.segpool.arrow;
}
