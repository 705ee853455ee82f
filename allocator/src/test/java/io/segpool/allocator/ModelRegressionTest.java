package io.segpool.allocator;

import io.segpool.allocator.ModelStep.Kind;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The holes {@link AllocatorPropertyTest} found, each as the sequence it shrank to, replayed
 * against the same model: every one failed on the main of issue 17 and must pass once the hole is
 * closed. A new hole the property test finds is added here as its shrunk sequence (the failure
 * prints it as Java), so that it stays found whatever seeds later runs draw.
 */
class ModelRegressionTest {

    private static final int DEFAULT = 0;
    private static final int CHECKS_OFF = 3;

    record Case(int setup, List<ModelStep> steps) {
    }

    static Stream<Arguments> holes() {
        return Stream.of(
                hole("item 1: freeAddress(b + 16, 64) of a live 64 B block is taken for its free", DEFAULT,
                        new ModelStep(Kind.ALLOCATE, 0, 0, 0, 0, 0),
                        new ModelStep(Kind.FREE_INTERIOR, 0, 0, 0, 0, 0)),
                hole("item 1: freeAddress(x + 64, 80) of an 80 B block frees its live neighbour", DEFAULT,
                        new ModelStep(Kind.ALLOCATE_BURST, 0, 1, 0, 1, 0),
                        new ModelStep(Kind.FREE_INTERIOR, 0, 1, 3, 0, 0)),
                hole("item 1: segment(x + 64, 80) of an 80 B block reaches into the next block", DEFAULT,
                        new ModelStep(Kind.ALLOCATE_BURST, 0, 1, 0, 1, 0),
                        new ModelStep(Kind.VIEW, 0, 1, 0, 5, 6)),
                hole("segment(b + 64, 64) after allocate(64): a view of a free block is accepted", DEFAULT,
                        new ModelStep(Kind.ALLOCATE, 0, 0, 0, 0, 0),
                        new ModelStep(Kind.VIEW, 0, 0, 0, 5, 0)),
                hole("free(a closed Arena's segment): IllegalStateException, README says IllegalArgumentException",
                        DEFAULT, new ModelStep(Kind.FREE_FOREIGN, 0, 0, 3, 0, 0)),
                hole("checks off: free of allocate(64, 128) puts the 128 B block in the 64 B class", CHECKS_OFF,
                        new ModelStep(Kind.ALLOCATE, 0, 0, 2, 5, 0),
                        new ModelStep(Kind.FREE, 0, 0, 0, 0, 0)),
                hole("item 8: checks off, a held ThreadCache's allocateAddress after close() returns unmapped memory",
                        CHECKS_OFF,
                        new ModelStep(Kind.ALLOCATE, 0, 0, 3, 0, 0),
                        new ModelStep(Kind.CLOSE, 0, 0, 0, 0, 0),
                        new ModelStep(Kind.ALLOCATE, 0, 0, 4, 0, 0)),
                hole("checks off: allocateAddress on a virtual thread after close() returns unmapped memory", CHECKS_OFF,
                        new ModelStep(Kind.ALLOCATE, 2, 2, 1, 0, 0),
                        new ModelStep(Kind.CLOSE, 0, 0, 0, 0, 0),
                        new ModelStep(Kind.ALLOCATE, 2, 2, 1, 0, 0)),
                hole("a freed large block's segment, its span unmapped and the address mapped again:"
                                + " IllegalArgumentException 'not returned by this allocator' (found when the OS reuses it)",
                        DEFAULT,
                        new ModelStep(Kind.ALLOCATE, 0, 0, 2, 9, 0),
                        new ModelStep(Kind.FREE, 0, 0, 0, 0, 0),
                        new ModelStep(Kind.TRIM, 0, 0, 0, 0, 0),
                        new ModelStep(Kind.ALLOCATE, 0, 0, 2, 9, 0),
                        new ModelStep(Kind.FREE_STALE, 0, 0, 1, 0, 0)));
    }

    private static Arguments hole(String name, int setup, ModelStep... steps) {
        return Arguments.of(Named.of(name, new Case(setup, List.of(steps))));
    }

    @ParameterizedTest
    @MethodSource("holes")
    @Timeout(120)
    void theShrunkSequenceNowDoesWhatTheModelSays(Case hole) {
        ModelFailure failure = ModelShrinker.run(hole.setup(), hole.steps()).failure();
        assertNull(failure, () -> failure.signature + "\n" + failure.getMessage());
    }
}
