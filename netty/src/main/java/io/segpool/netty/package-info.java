/**
 * {@link io.segpool.netty.SegpoolByteBufAllocator}: Netty direct buffers over segpool blocks,
 * with segpool's accounting, trim and memory limit, and Netty's reference counting and leak
 * detection on top.
 */
package io.segpool.netty;
