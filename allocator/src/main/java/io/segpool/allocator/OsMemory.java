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
 * The system calls segpool makes, through FFM downcalls: {@code mmap}, {@code munmap},
 * {@code mprotect} and {@code madvise}. Only {@link Heap} and {@link SpanSource} call these,
 * through {@link #INSTANCE}. Linux and macOS (the flag values differ).
 */
final class OsMemory implements MemoryMapper {

    /** The real OS memory: the mapper every allocator uses unless a test passes another. */
    static final OsMemory INSTANCE = new OsMemory();

    private static final boolean MAC = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("mac");
    private static final int PROT_NONE = 0;
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE = 0x02;
    private static final int MAP_ANONYMOUS = MAC ? 0x1000 : 0x20;
    /** Linux: count no swap or commit charge for a PROT_NONE reservation (macOS has no such flag). */
    private static final int MAP_NORESERVE = MAC ? 0 : 0x4000;
    /** Drop the pages now; the next touch of the range reads fresh zero pages (Linux). */
    private static final int MADV_DONTNEED = 4;
    private static final long MAP_FAILED = -1L;

    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final MethodHandle MMAP;
    private static final MethodHandle MUNMAP;
    private static final MethodHandle MPROTECT;
    private static final MethodHandle MADVISE;

    static {
        Linker linker = Linker.nativeLinker();
        Linker.Option errno = Linker.Option.captureCallState("errno");
        MMAP = linker.downcallHandle(find(linker, "mmap"),
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), errno);
        MUNMAP = linker.downcallHandle(find(linker, "munmap"),
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG), errno);
        MPROTECT = linker.downcallHandle(find(linker, "mprotect"),
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT), errno);
        MADVISE = linker.downcallHandle(find(linker, "madvise"),
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT), errno);
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
        return mmap(length, PROT_READ_WRITE, 0);
    }

    /** Reserves {@code length} bytes of address space that no access may touch until {@link #commit}. */
    @Override
    public long reserve(long length) {
        return mmap(length, PROT_NONE, MAP_NORESERVE);
    }

    /** Makes {@code [address, address + length)} of a reservation readable and writable (zero pages on first touch). */
    @Override
    public void commit(long address, long length) {
        int errno = call(MPROTECT, address, length, PROT_READ_WRITE);
        if (errno != 0) {
            throw new OutOfMemoryError("mprotect of " + length + " bytes failed with errno " + errno);
        }
    }

    /** Gives the pages of a committed range back to the OS; the range stays mapped and reads zeros. */
    @Override
    public void release(long address, long length) {
        int errno = call(MADVISE, address, length, MADV_DONTNEED);
        if (errno != 0) {
            throw new IllegalStateException("madvise(0x" + Long.toHexString(address) + ", " + length
                    + ", MADV_DONTNEED) failed with errno " + errno);
        }
    }

    /** Runs {@code mprotect} or {@code madvise}; returns 0 or the errno. */
    private static int call(MethodHandle handle, long address, long length, int flag) {
        if (length == 0) {
            return 0;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int rc = (int) handle.invokeExact(state, address, length, flag);
            return rc == 0 ? 0 : (int) ERRNO.get(state, 0L);
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("downcall failed", t);
        }
    }

    private static long mmap(long length, int protection, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment result = (MemorySegment) MMAP.invokeExact(state, MemorySegment.NULL, length,
                    protection, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0L);
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
