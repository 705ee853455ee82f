package io.segpool.allocator;

import java.util.Locale;

/**
 * The benchmark module's way to the allocator's ablation modes, which are package-private in the
 * allocator (they are not a setting users should see): this class sits in the allocator's package
 * on the benchmarks' class path only, and is never published.
 */
public final class Ablations {

    /** The thread-caching modes by name: {@code bounded} (segpool), {@code none}, {@code unbounded}. */
    public static final String[] MODES = {"bounded", "none", "unbounded"};

    private Ablations() {
    }

    /**
     * {@code config} with the thread-caching mode named {@code mode}.
     *
     * @param config the config to change
     * @param mode one of {@link #MODES}
     * @return the changed config
     */
    public static AllocatorConfig withThreadCaching(AllocatorConfig config, String mode) {
        return config.withThreadCaching(ThreadCaching.valueOf(mode.toUpperCase(Locale.ROOT)));
    }
}
