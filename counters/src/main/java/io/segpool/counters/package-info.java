/**
 * The counters file: {@link io.segpool.counters.CountersFile#publish} writes it,
 * {@link io.segpool.counters.CountersReader} reads it from any process. Its layout is documented
 * in {@code docs/counters-file.md} so that tools in other languages can read it too.
 */
package io.segpool.counters;
