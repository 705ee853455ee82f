package io.segpool.counters;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The counters file's layout, version {@value #VERSION}, as {@code docs/counters-file.md} documents
 * it for other tools: every field a 64-bit little-endian word at a multiple of 8, so that a reader
 * never sees half a word, and a header that says what and whose the file is before any figure.
 */
final class CountersLayout {

    /** "SEGPCNTR" in ASCII, read as a little-endian word: the first 8 bytes of every counters file. */
    static final long MAGIC = 0x52544E4350474553L;
    /** The layout version this code writes and reads; a reader refuses any other. */
    static final long VERSION = 1;
    /** Every word of the file. */
    static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);

    static final long MAGIC_OFFSET = 0;
    static final long VERSION_OFFSET = 8;
    /** The file's length in bytes, as the writer sized it: a shorter file is truncated. */
    static final long LENGTH_OFFSET = 16;
    static final long PID_OFFSET = 24;
    /** Milliseconds since the epoch when the publisher started. */
    static final long START_OFFSET = 32;
    /** The publisher's period in nanoseconds. */
    static final long PERIOD_OFFSET = 40;
    /** Milliseconds since the epoch of the latest publication. */
    static final long HEARTBEAT_OFFSET = 48;
    /** The seqlock word: odd while the figures are being written, even when they are whole. */
    static final long SEQUENCE_OFFSET = 56;
    /** Publications so far. */
    static final long PUBLICATIONS_OFFSET = 64;
    /** Class rows the file has room for. */
    static final long CLASS_CAPACITY_OFFSET = 72;
    /** {@link #STATE_STARTING}, {@link #STATE_LIVE}, {@link #STATE_CLOSED} or {@link #STATE_FAILED}. */
    static final long STATE_OFFSET = 80;
    /** The source's name, UTF-8, NUL-padded, at most {@value #NAME_BYTES} bytes. */
    static final long NAME_OFFSET = 128;
    static final int NAME_BYTES = 64;

    /** The figures, in this order: {@link #FIGURES} words. */
    static final long FIGURES_OFFSET = 192;
    static final String[] FIGURES = {"Sys", "Inuse", "Cached", "Central", "Released", "Mallocs", "Frees",
        "ThreadCaches", "StackSys", "StackInuse", "DeferSys", "DeferInuse"};
    /** The number of class rows filled, at most the capacity. */
    static final long CLASS_COUNT_OFFSET = FIGURES_OFFSET + 8L * FIGURES.length;
    /** The first class row; each is {@link #ROW_WORDS} words. */
    static final long CLASSES_OFFSET = 320;
    static final String[] ROW = {"size", "mallocs", "frees", "refills", "spills", "ring", "batch", "chunk"};
    static final int ROW_WORDS = ROW.length;
    static final long ROW_BYTES = 8L * ROW_WORDS;

    static final long STATE_STARTING = 0;
    static final long STATE_LIVE = 1;
    static final long STATE_CLOSED = 2;
    /** The publisher stopped: its source failed or was closed. */
    static final long STATE_FAILED = 3;

    /** The most class rows a file may have: a larger capacity word means a damaged file. */
    static final long MAX_CLASSES = 4096;

    private CountersLayout() {
    }

    /** {@return the length of a file with room for {@code classes} rows} */
    static long length(long classes) {
        return CLASSES_OFFSET + classes * ROW_BYTES;
    }
}
