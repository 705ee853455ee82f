package io.segpool.pools;

import io.segpool.allocator.NativeAllocator;
import io.segpool.stats.MemStats;

import javax.management.InstanceAlreadyExistsException;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.util.Objects;

/**
 * One {@link MemStats} over an allocator, alone or with its pools, as Go's
 * {@code runtime.ReadMemStats} is one struct over the whole runtime: the allocator's fields, plus
 * {@code StackSys}/{@code StackInuse} from a {@link StackPool} and {@code DeferSys}/{@code DeferInuse}
 * from a {@link DeferPool} when given. The pools' bytes are not in {@code Sys}: each pool has an
 * allocator of its own.
 *
 * <p>{@link #register()} publishes it over JMX as {@code io.segpool:type=MemStats,name=<name>},
 * the name being the allocator's {@link NativeAllocator#name()}, so that several allocators (a
 * database's per-table ones, say) sit side by side; query {@code io.segpool:type=MemStats,*} to
 * find them all.
 */
public final class SegpoolStats implements MemStatsMXBean {

    /** The domain and type of every name {@link #register()} uses; the {@code name} key follows. */
    public static final String DOMAIN_AND_TYPE = "io.segpool:type=MemStats";

    private final NativeAllocator allocator;
    /** Null when not given. */
    private final StackPool stacks;
    /** Null when not given. */
    private final DeferPool defers;
    private final ObjectName objectName;
    /** Guarded by this: each JMX read fills it without garbage. */
    private final MemStats scratch = new MemStats();

    /**
     * Gathers the figures of an allocator used without pools; {@code StackSys}, {@code StackInuse},
     * {@code DeferSys} and {@code DeferInuse} read 0.
     *
     * @param allocator the allocator whose figures fill the snapshot
     * @throws NullPointerException if {@code allocator} is null
     */
    public SegpoolStats(NativeAllocator allocator) {
        this.allocator = Objects.requireNonNull(allocator, "allocator");
        this.stacks = null;
        this.defers = null;
        this.objectName = objectName(allocator.name());
    }

    /**
     * Gathers the figures of an allocator and of the two pools used with it.
     *
     * @param allocator the allocator whose own figures fill the snapshot
     * @param stacks the stack pool that fills {@code StackSys} and {@code StackInuse}
     * @param defers the defer pool that fills {@code DeferSys} and {@code DeferInuse}
     * @throws NullPointerException if any of them is null
     */
    public SegpoolStats(NativeAllocator allocator, StackPool stacks, DeferPool defers) {
        this.allocator = Objects.requireNonNull(allocator, "allocator");
        this.stacks = Objects.requireNonNull(stacks, "stacks");
        this.defers = Objects.requireNonNull(defers, "defers");
        this.objectName = objectName(allocator.name());
    }

    /**
     * The JMX name for an allocator's MemStats.
     *
     * @param allocatorName a {@link NativeAllocator#name()}
     * @return {@code io.segpool:type=MemStats,name=<allocatorName>}
     * @throws IllegalArgumentException if the name cannot be an unquoted ObjectName value
     *         ({@link io.segpool.allocator.AllocatorConfig#withName} never makes such a name)
     */
    public static ObjectName objectName(String allocatorName) {
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

    /**
     * Fills {@code stats} with the allocator's figures and, when given, both pools'.
     *
     * @param stats the snapshot to fill; reuse one to read without garbage
     */
    public void readMemStats(MemStats stats) {
        allocator.readMemStats(stats);
        if (stacks != null) {
            stacks.readMemStats(stats);
            defers.readMemStats(stats);
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
     * A {@link SegpoolStats} registered in an MBean server, until closed. Closing it again does
     * nothing.
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

    @Override public synchronized MemStatsSnapshot getSnapshot() { return MemStatsSnapshot.of(read()); }
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
