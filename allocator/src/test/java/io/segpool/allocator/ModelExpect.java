package io.segpool.allocator;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * What the model says a call must do: be accepted (and, for a free, which live block it frees),
 * or be refused with one of the exception types in {@link #refusals}. Most wrong calls name one
 * type. Two kinds name two: a call wrong in two ways (a closed allocator and a bad argument;
 * another thread's cache after close), where either refusal is right; and a stale address after a
 * {@code trim()}, whose chunk the model cannot see (given back: "released", an
 * IllegalStateException; carved again for another class: maybe "not a block start", an
 * IllegalArgumentException).
 */
record ModelExpect(boolean accept, ModelBlock frees, Set<Class<? extends RuntimeException>> refusals, String rule) {

    static final Class<IllegalArgumentException> IAE = IllegalArgumentException.class;
    static final Class<IllegalStateException> ISE = IllegalStateException.class;
    static final Class<WrongThreadException> WRONG_THREAD = WrongThreadException.class;

    static ModelExpect accept(String rule) {
        return new ModelExpect(true, null, Set.of(), rule);
    }

    static ModelExpect frees(ModelBlock block) {
        return new ModelExpect(true, block, Set.of(), "free of live " + block);
    }

    @SafeVarargs
    static ModelExpect refuse(String rule, Class<? extends RuntimeException>... types) {
        Set<Class<? extends RuntimeException>> set = new LinkedHashSet<>();
        for (Class<? extends RuntimeException> type : types) {
            set.add(type);
        }
        return new ModelExpect(false, null, set, rule);
    }

    /** Refused with either type: the model cannot tell which rule the allocator checks first or sees. */
    static ModelExpect refused(String rule) {
        return refuse(rule, IAE, ISE);
    }

    /** After {@code close()}: refused with IllegalStateException, or with this call's own refusal. */
    ModelExpect closed() {
        Set<Class<? extends RuntimeException>> types = new LinkedHashSet<>();
        types.add(ISE);
        types.addAll(refusals);
        return new ModelExpect(false, null, types, accept ? "closed allocator" : "closed allocator, and " + rule);
    }

    /** True when {@code thrown} is one of the refusals this expectation allows. */
    boolean allows(Throwable thrown) {
        for (Class<? extends RuntimeException> type : refusals) {
            if (type.isInstance(thrown)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        if (accept) {
            return "accepted (" + rule + ")";
        }
        StringBuilder names = new StringBuilder();
        for (Class<?> type : refusals) {
            names.append(names.isEmpty() ? "" : " or ").append(type.getSimpleName());
        }
        return names + " (" + rule + ")";
    }
}
