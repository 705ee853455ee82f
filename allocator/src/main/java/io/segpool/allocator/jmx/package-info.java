/**
 * An allocator's {@link io.segpool.stats.MemStats} over JMX, alone or with its pools':
 * {@link io.segpool.allocator.jmx.SegpoolJmx} registers it as the MXBean
 * {@code io.segpool:type=MemStats,name=<allocator name>}. It lives in the allocator's module, as
 * the JFR events do, so that an application that uses the allocator alone needs nothing else;
 * it reads the pools through {@link io.segpool.stats.MemStatsSource}, so it does not need their
 * module either.
 */
package io.segpool.allocator.jmx;
