package io.segpool.allocator.jmx;

import io.segpool.stats.MemStats;
import io.segpool.stats.MemStatsSource;
import io.segpool.stats.internal.MemStatsWriter;

import javax.management.InstanceAlreadyExistsException;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.util.Objects;

/**
 * Publishes an allocator's {@link MemStats} over JMX, with its pools' figures when given: one
 * snapshot over the allocator and its pools, as Go's {@code runtime.ReadMemStats} is one struct
 * over the whole runtime. Every field but the pools' comes from the allocator;
 * {@code StackSys}/{@code StackInuse} come from a stack pool and {@code DeferSys}/{@code DeferInuse}
 * from a defer pool, each read 0 when that pool is not given. The pools' bytes are not in
 * {@code Sys}: each pool has an allocator of its own.
 *
 * <p>{@link #register()} publishes it as {@code io.segpool:type=MemStats,name=<name>}, the name
 * being the allocator's {@link MemStatsSource#name()} (the name its JFR events and metrics carry),
 * so that several allocators (a database's per-table ones, say) sit side by side; query
 * {@code io.segpool:type=MemStats,*} to find them all.
 *
 * <pre>{@code
 * try (SegpoolJmx.Registration jmx = new SegpoolJmx(allocator).register()) {
 *     ...
 * }
 * }</pre>
 *
 * <p>The pools are read through {@link MemStatsSource}, so this class does not need the pools'
 * module: pass a {@code StackPool} and a {@code DeferPool}, either of them or neither.
 */
public final class SegpoolJmx implements MemStatsMXBean, MemStatsSource {

    /** The domain and type of every name {@link #register()} uses; the {@code name} key follows. */
    public static final String DOMAIN_AND_TYPE = "io.segpool:type=MemStats";

    private static final MemStatsWriter WRITE = MemStatsWriter.get();

    private final MemStatsSource allocator;
    /** Null when not given. */
    private final MemStatsSource stacks;
    /** Null when not given. */
    private final MemStatsSource defers;
    private final ObjectName objectName;
    /** Guarded by this: each JMX read fills it without garbage. */
    private final MemStats scratch = new MemStats();
    /** Guarded by this: a pool's whole figures, of which two are kept. */
    private final MemStats poolScratch = new MemStats();

    /**
     * The figures of an allocator used without pools; {@code StackSys}, {@code StackInuse},
     * {@code DeferSys} and {@code DeferInuse} read 0.
     *
     * @param allocator the allocator whose figures fill the snapshot and whose name names it
     * @throws NullPointerException if {@code allocator} is null
     * @throws IllegalArgumentException if the allocator's name cannot be an ObjectName value
     */
    public SegpoolJmx(MemStatsSource allocator) {
        this(allocator, null, null);
    }

    /**
     * The figures of an allocator and of the pools used with it.
     *
     * @param allocator the allocator whose figures fill the snapshot and whose name names it
     * @param stacks the stack pool whose {@code StackSys} and {@code StackInuse} to add, or null
     *               for none (those two read 0)
     * @param defers the defer pool whose {@code DeferSys} and {@code DeferInuse} to add, or null
     *               for none (those two read 0)
     * @throws NullPointerException if {@code allocator} is null
     * @throws IllegalArgumentException if the allocator's name cannot be an ObjectName value
     */
    public SegpoolJmx(MemStatsSource allocator, MemStatsSource stacks, MemStatsSource defers) {
        this.allocator = Objects.requireNonNull(allocator, "allocator");
        this.stacks = stacks;
        this.defers = defers;
        this.objectName = objectName(allocator.name());
    }

    /**
     * The JMX name for an allocator's MemStats.
     *
     * @param allocatorName a {@link MemStatsSource#name()}
     * @return {@code io.segpool:type=MemStats,name=<allocatorName>}
     * @throws IllegalArgumentException if the name cannot be an unquoted ObjectName value
     *         ({@link io.segpool.allocator.AllocatorConfig#withName} never makes such a name)
     * @throws NullPointerException if {@code allocatorName} is null
     */
    public static ObjectName objectName(String allocatorName) {
        Objects.requireNonNull(allocatorName, "allocatorName");
        try {
            return new ObjectName(DOMAIN_AND_TYPE + ",name=" + allocatorName);
        } catch (MalformedObjectNameException e) {
            throw new IllegalArgumentException("allocator name \"" + allocatorName + "\" cannot be an ObjectName"
                    + " value: " + e.getMessage(), e);
        }
    }

    /** {@return the name {@link #register()} registers this under} */
    public ObjectName objectName() {
        return objectName;
    }

    /** {@return the allocator's name, the {@code name} key of {@link #objectName()}} */
    @Override
    public String name() {
        return allocator.name();
    }

    /**
     * Fills every field of {@code stats}: the allocator's figures, and the pools' two each from
     * the pools given (0 for a pool not given).
     *
     * @param stats the snapshot to overwrite; reuse one to read without garbage
     * @throws IllegalStateException if the allocator or a pool given is closed
     * @throws NullPointerException if {@code stats} is null
     */
    @Override
    public synchronized void readMemStats(MemStats stats) {
        allocator.readMemStats(stats);
        if (stacks != null) {
            stacks.readMemStats(poolScratch);
            WRITE.setStack(stats, poolScratch.stackSys(), poolScratch.stackInuse());
        }
        if (defers != null) {
            defers.readMemStats(poolScratch);
            WRITE.setDefer(stats, poolScratch.deferSys(), poolScratch.deferInuse());
        }
    }

    /**
     * Registers this as {@link #objectName()} in the platform MBean server.
     *
     * @return the registration; its {@code close()} unregisters
     * @throws IllegalStateException if the name is taken (another allocator of the same name is
     *         registered) or the MBean server refuses it
     */
    public Registration register() {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try {
            server.registerMBean(this, objectName);
        } catch (InstanceAlreadyExistsException e) {
            throw new IllegalStateException(objectName + " is already registered: unregister the other first, or"
                    + " give this allocator another name (AllocatorConfig.withName)", e);
        } catch (JMException e) {
            throw new IllegalStateException("could not register " + objectName + ": " + e.getMessage(), e);
        }
        return new Registration(server, objectName);
    }

    /**
     * A {@link SegpoolJmx} registered in an MBean server, until closed. Closing it again does
     * nothing, as every close in segpool.
     */
    public static final class Registration implements AutoCloseable {

        private final MBeanServer server;
        private final ObjectName name;
        private boolean closed;

        private Registration(MBeanServer server, ObjectName name) {
            this.server = server;
            this.name = name;
        }

        /** {@return the name this registration holds} */
        public ObjectName name() {
            return name;
        }

        /**
         * Unregisters the MBean; a name already unregistered by other means is left as it is.
         *
         * @throws IllegalStateException if the MBean server refuses to unregister it
         */
        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            try {
                server.unregisterMBean(name);
            } catch (InstanceNotFoundException gone) {
                // Unregistered by someone else: nothing left to do.
            } catch (JMException e) {
                throw new IllegalStateException("could not unregister " + name + ": " + e.getMessage(), e);
            }
            closed = true;
        }
    }

    private synchronized MemStats read() {
        readMemStats(scratch);
        return scratch;
    }

    @Override public synchronized MemStatsTotals getTotals() { return MemStatsTotals.of(read()); }
    @Override public synchronized long getSys() { return read().sys(); }
    @Override public synchronized long getInuse() { return read().inuse(); }
    @Override public synchronized long getCached() { return read().cached(); }
    @Override public synchronized long getCentral() { return read().central(); }
    @Override public synchronized long getReleased() { return read().released(); }
    @Override public synchronized long getMallocs() { return read().mallocs(); }
    @Override public synchronized long getFrees() { return read().frees(); }
    @Override public synchronized long getThreadCaches() { return read().threadCaches(); }
    @Override public synchronized long getStackSys() { return read().stackSys(); }
    @Override public synchronized long getStackInuse() { return read().stackInuse(); }
    @Override public synchronized long getDeferSys() { return read().deferSys(); }
    @Override public synchronized long getDeferInuse() { return read().deferInuse(); }
}
