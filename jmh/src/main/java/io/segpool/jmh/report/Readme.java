package io.segpool.jmh.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Rewrites the README's performance table in place: everything between {@link #START} and
 * {@link #END} is replaced, the markers and the prose around them stay as they are. A README
 * without both markers, in that order, once each, is refused rather than appended to, so that a
 * moved or deleted marker is seen, not papered over.
 */
final class Readme {

    static final String START = "<!-- performance-table:start (written by jmh/run-standard.sh; edits inside are lost) -->";
    static final String END = "<!-- performance-table:end -->";

    private Readme() {
    }

    /** {@return {@code readme} with the text between its markers replaced by {@code table}} */
    static String replaceTable(String readme, String table) throws IOException {
        int start = readme.indexOf(START);
        int end = readme.indexOf(END);
        if (start < 0 || end < 0 || end < start || readme.indexOf(START, start + 1) >= 0
                || readme.indexOf(END, end + 1) >= 0) {
            throw new IOException("the README must hold the line " + START + " and, after it, the line " + END
                    + ", once each: the report writes the performance table between them");
        }
        String body = table.endsWith("\n") ? table : table + "\n";
        return readme.substring(0, start + START.length()) + "\n" + body + readme.substring(end);
    }

    /** Rewrites the table in the file {@code readme}. */
    static void rewrite(Path readme, String table) throws IOException {
        String text = Files.readString(readme);
        String replaced;
        try {
            replaced = replaceTable(text, table);
        } catch (IOException e) {
            throw new IOException(readme + ": " + e.getMessage(), e);
        }
        Files.writeString(readme, replaced);
    }
}
