package com.example.consumer;

import io.segpool.arrow.SegpoolArrow;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Arrow on segpool from the published artifacts alone: segpool-arrow brings Arrow's memory core
 * (compile) and its Unsafe manager (runtime, which Arrow's BaseAllocator loads as its static
 * default); one buffer written, read and released, and the factory's count back to zero.
 */
public final class ArrowConsumerMain {

    private ArrowConsumerMain() {
    }

    public static void main(String[] args) {
        try (SegpoolArrow memory = SegpoolArrow.create();
             BufferAllocator root = memory.newRootAllocator(Long.MAX_VALUE)) {
            try (ArrowBuf buf = root.buffer(4096)) {
                buf.setLong(4088, 0x5E6B001L);
                if (buf.getLong(4088) != 0x5E6B001L || memory.liveBuffers() != 1) {
                    throw new AssertionError("segpool-arrow buffer did not read back");
                }
            }
            if (memory.liveBuffers() != 0 || root.getAllocatedMemory() != 0) {
                throw new AssertionError("segpool-arrow buffer not released");
            }
        }
        System.out.println("consumer: segpool-arrow served an Arrow buffer and released it");
    }
}
