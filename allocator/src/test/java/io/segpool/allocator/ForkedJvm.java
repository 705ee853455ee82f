package io.segpool.allocator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs a test's main class in a child JVM with a real time limit. The child's output goes to a
 * file, not a pipe, so nothing waits on reading it, and {@code waitFor} is the only wait: a child
 * that hangs is asked for a thread dump (SIGQUIT, into the same file), killed, and the test fails
 * with what it printed. A pipe read before {@code waitFor} would instead block for as long as the
 * child lives.
 */
final class ForkedJvm {

    /** What the child printed and how it ended. */
    record Result(int exitCode, String output) {
    }

    private ForkedJvm() {
    }

    /**
     * Runs {@code main} with this JVM's class path in {@code workDir}, failing if it does not end
     * within {@code timeout}.
     */
    static Result run(Path workDir, Duration timeout, List<String> jvmArgs, Class<?> main, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.addAll(jvmArgs);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        Path log = workDir.resolve("child-output.txt");
        Process child = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        if (!child.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            threadDump(child);
            child.descendants().forEach(ProcessHandle::destroyForcibly);
            child.destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError(main.getSimpleName() + " did not finish in " + timeout + " and was killed;"
                    + " its output, with a thread dump at the end:\n" + Files.readString(log));
        }
        return new Result(child.exitValue(), Files.readString(log));
    }

    /** Asks a hung child for a thread dump (Linux, where segpool runs); best effort. */
    private static void threadDump(Process child) throws InterruptedException {
        try {
            Process kill = new ProcessBuilder("kill", "-QUIT", Long.toString(child.pid())).start();
            kill.waitFor(5, TimeUnit.SECONDS);
            Thread.sleep(2_000); // lets the child write the dump before it is killed; not a wait for a thread
        } catch (IOException e) {
            // no kill command: the test fails without a dump
        }
    }

    /** The {@code hs_err} crash logs in {@code dir}. */
    static List<Path> hsErrFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith("hs_err")).toList();
        }
    }
}
