package io.segpool.allocator;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Locale;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The two system calls segpool makes, through FFM downcalls: {@code mmap} and {@code munmap}.
 * Only {@link ChunkSource} and its chunks call these, through {@link #INSTANCE}. Linux and macOS
 * (the flag values differ).
 */
final class OsMemory implements MemoryMapper {

    /** The real OS memory: the mapper every allocator uses unless a test passes another. */
    static final OsMemory INSTANCE = new OsMemory();

    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE = 0x02;
    private static final int MAP_ANONYMOUS = System.getProperty("os.name", "").toLowerCase(Locale.ROOT)
            .contains("mac") ? 0x1000 : 0x20;
    private static final long MAP_FAILED = -1L;

    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final MethodHandle MMAP;
    private static final MethodHandle MUNMAP;

    static {
        Linker linker = Linker.nativeLinker();
        Linker.Option errno = Linker.Option.captureCallState("errno");
        MMAP = linker.downcallHandle(find(linker, "mmap"),
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), errno);
        MUNMAP = linker.downcallHandle(find(linker, "munmap"),
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG), errno);
    }

    private OsMemory() {
    }

    private static MemorySegment find(Linker linker, String name) {
        return linker.defaultLookup().find(name)
                .orElseThrow(() -> new UnsupportedOperationException("segpool needs " + name + "() from the C library"));
    }

    /** Maps {@code length} bytes of fresh, zero-filled, lazily committed memory; returns its address. */
    @Override
    public long map(long length) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment result = (MemorySegment) MMAP.invokeExact(state, MemorySegment.NULL, length,
                    PROT_READ_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L);
            if (result.address() == MAP_FAILED) {
                throw new OutOfMemoryError("mmap of " + length + " bytes failed with errno " + (int) ERRNO.get(state, 0L));
            }
            return result.address();
        } catch (OutOfMemoryError | RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("mmap downcall failed", t);
        }
    }

    /** Gives {@code [address, address + length)} back to the OS. */
    @Override
    public void unmap(long address, long length) {
        if (length == 0) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int rc = (int) MUNMAP.invokeExact(state, address, length);
            if (rc != 0) {
                throw new IllegalStateException("munmap(0x" + Long.toHexString(address) + ", " + length
                        + ") failed with errno " + (int) ERRNO.get(state, 0L));
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("munmap downcall failed", t);
        }
    }
}
