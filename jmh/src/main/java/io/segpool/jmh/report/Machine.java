package io.segpool.jmh.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The machine a run measured, from the side file {@code jmh/run-standard.sh} writes beside its JMH
 * JSON ({@code machine.properties}: {@code key=value} lines, read when the run starts). JMH's JSON
 * names the JVM but not the CPU, and figures from two CPUs differ by 2x (issue 21: the checked
 * pair costs about 3 ns over the unchecked one on the Intel VM and 7 on the AMD one), so every
 * table the report writes carries {@link #label()}.
 *
 * @param cpu the CPU model ({@code lscpu}'s "Model name", else {@code /proc/cpuinfo}'s "model name")
 * @param details the other keys, in file order: cores, jdk, date, load
 */
record Machine(String cpu, Map<String, String> details) {

    /** The CPU of results whose run wrote no side file. */
    static final String UNRECORDED = "CPU not recorded";

    /** A machine the run did not describe: the report still says so in every label. */
    static Machine unrecorded() {
        return new Machine(UNRECORDED, Map.of());
    }

    /**
     * Reads a side file: blank lines and {@code #} comments are skipped, a key is everything before
     * the first {@code =}; {@code cpu} is required.
     *
     * @throws IOException if the file cannot be read, a line has no {@code =}, or there is no cpu
     */
    static Machine read(Path file) throws IOException {
        Map<String, String> values = new LinkedHashMap<>();
        int number = 0;
        for (String line : Files.readAllLines(file)) {
            number++;
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            int equals = trimmed.indexOf('=');
            if (equals <= 0) {
                throw new IOException(file + ":" + number + ": expected key=value, found \"" + trimmed + "\"");
            }
            values.put(trimmed.substring(0, equals).strip(), trimmed.substring(equals + 1).strip());
        }
        String cpu = values.remove("cpu");
        if (cpu == null || cpu.isEmpty()) {
            throw new IOException(file + ": no cpu=... line: the run must record its CPU model");
        }
        return new Machine(cpu, values);
    }

    /** {@return the label every table carries: the CPU model first, then what else the run recorded} */
    String label() {
        StringBuilder label = new StringBuilder(cpu);
        details.forEach((key, value) -> label.append(", ").append(key).append(' ').append(value));
        return label.toString();
    }
}
