package io.segpool.allocator.internal;

import io.segpool.allocator.NativeAllocator;

import java.lang.invoke.MethodHandles;

/**
 * Holds the one {@link EngineAccess}, in the manner of the JDK's {@code SharedSecrets}: the
 * allocator package registers it from {@link NativeAllocator}'s static initialiser, and
 * {@link #engineAccess()} initialises that class first, so a caller never sees it unset.
 */
public final class EngineSecrets {

    private static volatile EngineAccess access;

    private EngineSecrets() {
    }

    /** Called once, by the allocator package; a second registration is refused. */
    public static synchronized void register(EngineAccess engineAccess) {
        Class<?> type = engineAccess.getClass();
        if (type.getModule() != EngineSecrets.class.getModule()
                || !type.getPackageName().equals(NativeAllocator.class.getPackageName())) {
            throw new IllegalArgumentException("only the allocator package registers the EngineAccess");
        }
        if (access != null) {
            throw new IllegalStateException("EngineAccess is already registered");
        }
        access = engineAccess;
    }

    /** The engine's test access. */
    public static EngineAccess engineAccess() {
        EngineAccess a = access;
        if (a == null) {
            try {
                MethodHandles.lookup().ensureInitialized(NativeAllocator.class);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
            a = access;
        }
        return a;
    }
}
