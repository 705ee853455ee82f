package io.segpool.pools;

import io.segpool.allocator.NativeAllocator;
import io.segpool.stats.MemStats;

import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.util.Objects;

/**
 * One {@link MemStats} over an allocator and its pools, as Go's {@code runtime.ReadMemStats} is
 * one struct over the whole runtime: the allocator's fields, plus {@code StackSys}/{@code StackInuse}
 * from a {@link StackPool} and {@code DeferSys}/{@code DeferInuse} from a {@link DeferPool}. The
 * pools' bytes are not in {@code Sys}: each pool has an allocator of its own.
 *
 * <p>{@link #register()} publishes it over JMX as {@code io.segpool:type=MemStats}.
 */
public final class SegpoolStats implements MemStatsMXBean {

    /** The JMX name {@link #register()} uses. */
    public static final String OBJECT_NAME = "io.segpool:type=MemStats";

    private final NativeAllocator allocator;
    private final StackPool stacks;
    private final DeferPool defers;
    /** Guarded by this: each JMX read fills it without garbage. */
    private final MemStats scratch = new MemStats();

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
    }

    /**
     * Fills {@code stats} with the allocator's figures and both pools'.
     *
     * @param stats the snapshot to fill; reuse one to read without garbage
     */
    public void readMemStats(MemStats stats) {
        allocator.readMemStats(stats);
        stacks.readMemStats(stats);
        defers.readMemStats(stats);
    }

    /**
     * Registers this as {@code io.segpool:type=MemStats} in the platform MBean server; close the
     * result to unregister.
     *
     * @return a handle whose {@code close()} unregisters it
     * @throws IllegalStateException if the name is taken or the MBean server refuses it
     */
    public AutoCloseable register() {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try {
            ObjectName name = new ObjectName(OBJECT_NAME);
            server.registerMBean(this, name);
            return () -> server.unregisterMBean(name);
        } catch (InstanceAlreadyExistsException e) {
            throw new IllegalStateException(OBJECT_NAME + " is already registered: unregister the other first", e);
        } catch (JMException e) {
            throw new IllegalStateException("could not register " + OBJECT_NAME + ": " + e.getMessage(), e);
        }
    }

    private synchronized MemStats read() {
        readMemStats(scratch);
        return scratch;
    }

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
