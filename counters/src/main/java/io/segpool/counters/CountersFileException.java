package io.segpool.counters;

import java.io.IOException;
import java.io.Serial;

/**
 * A counters file refused or unreadable: a path that is a symbolic link, a file that is not a
 * segpool counters file of this user, the live file of another publisher, a truncated file or one
 * of another layout version. The message is one sentence naming the path and what to do, fit to
 * print as it is ({@code ./segpool stat} prints it as its one line of error).
 */
public final class CountersFileException extends IOException {

    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * Makes the exception.
     *
     * @param message the whole message: the path and why
     */
    public CountersFileException(String message) {
        super(message);
    }

    /**
     * Makes the exception with the I/O failure beneath it.
     *
     * @param message the whole message: the path and why
     * @param cause the failure beneath, whose message the caller has folded into this one
     */
    public CountersFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
