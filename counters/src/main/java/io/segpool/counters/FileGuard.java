package io.segpool.counters;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * Creates a counters file so that it is the process's own: a new file, opened with
 * {@code O_CREAT|O_EXCL} and no link followed, owner-only ({@code 0600}). What is at the path
 * already is never written, truncated or followed: a symbolic link, anything that is not a regular
 * file, a file of another user, a file without the counters magic, or the live file of a running
 * publisher is refused; only a segpool counters file of this user whose process has gone (or whose
 * publisher closed) is removed, and a new file is made in its place.
 */
final class FileGuard {

    private FileGuard() {
    }

    /** Creates the file at {@code path}, {@code length} bytes long, and maps it read-write in {@code arena}. */
    static MemorySegment create(Path path, long length, Arena arena) throws CountersFileException {
        Path parent = path.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new CountersFileException(path + ": the directory " + parent + " does not exist; create it first");
        }
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            removeStale(path);
        }
        try (FileChannel channel = FileChannel.open(path,
                java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE,
                        LinkOption.NOFOLLOW_LINKS),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            return channel.map(FileChannel.MapMode.READ_WRITE, 0, length, arena);
        } catch (FileAlreadyExistsException e) {
            throw new CountersFileException(path + ": something else was created there meanwhile; not overwritten", e);
        } catch (UnsupportedOperationException e) {
            throw new CountersFileException(path + ": this file system has no POSIX permissions, so the file cannot"
                    + " be made owner-only; pick a directory on a POSIX file system", e);
        } catch (IOException e) {
            throw new CountersFileException(path + ": cannot create the counters file: " + e, e);
        }
    }

    /** Removes a stale counters file of this user at {@code path}, or refuses whatever else is there. */
    private static void removeStale(Path path) throws CountersFileException {
        if (Files.isSymbolicLink(path)) {
            throw new CountersFileException(path + " is a symbolic link: segpool writes its counters file only at a"
                    + " path it creates itself; remove the link or pick another path");
        }
        if (!Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
            throw new CountersFileException(path + " exists and is not a regular file; not touched");
        }
        String user = currentUser();
        try {
            String owner = Files.getOwner(path, LinkOption.NOFOLLOW_LINKS).getName();
            if (!owner.equals(user)) {
                throw new CountersFileException(path + " belongs to " + owner + ", not to " + user
                        + "; not touched: pick another path");
            }
        } catch (IOException e) {
            throw new CountersFileException(path + ": cannot read its owner (" + e + "); not touched", e);
        }
        ByteBuffer header = ByteBuffer.allocate((int) CountersLayout.NAME_OFFSET).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            while (header.hasRemaining() && channel.read(header) >= 0) {
                // reads the header or as much as there is
            }
        } catch (IOException e) {
            throw new CountersFileException(path + ": cannot read it (" + e + "); not touched", e);
        }
        if (header.position() < header.capacity() || header.getLong((int) CountersLayout.MAGIC_OFFSET) != CountersLayout.MAGIC) {
            throw new CountersFileException(path + " exists and is not a segpool counters file; not overwritten:"
                    + " remove it or pick another path");
        }
        long pid = header.getLong((int) CountersLayout.PID_OFFSET);
        long state = header.getLong((int) CountersLayout.STATE_OFFSET);
        Optional<ProcessHandle> process = ProcessHandle.of(pid);
        if (state != CountersLayout.STATE_CLOSED && process.isPresent() && process.get().isAlive()) {
            throw new CountersFileException(path + " is the live counters file of process " + pid
                    + (pid == ProcessHandle.current().pid() ? " (this one: another publisher)" : "")
                    + "; not overwritten: pick another path");
        }
        try {
            Files.delete(path);
        } catch (IOException e) {
            throw new CountersFileException(path + ": the stale counters file of process " + pid
                    + " cannot be removed: " + e, e);
        }
    }

    /** The user this process runs as, the name a file's owner is compared with. */
    static String currentUser() {
        return ProcessHandle.current().info().user().orElse(System.getProperty("user.name"));
    }
}
