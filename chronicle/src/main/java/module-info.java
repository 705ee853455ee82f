/**
 * A Chronicle Bytes view of segpool blocks. Chronicle's types are in the view's signatures, hence
 * {@code requires transitive}. Chronicle Bytes (an automatic module) reaches into JDK internals on
 * JDK 25 and needs JVM flags of its own: see the README; segpool's own modules need none of them.
 */
module io.segpool.chronicle {
    requires transitive chronicle.bytes;

    exports io.segpool.chronicle;
}
