package dev.tessera.app.regression;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.tensor.Rng;
import org.junit.jupiter.api.Test;

/** {@link DropoutStreams#advance}: a generator moved to a saved state continues exactly as the saved one. */
class DropoutStreamsTest {
    /** Draws {@code words} scalar words, then one fill of {@code floats} values (which discards the rest of a block). */
    private static void use(Rng rng, int words, int floats) {
        for (int i = 0; i < words; i++) rng.nextInt();
        if (floats > 0) rng.fillUniform(new float[floats], 0, floats, 0f, 1f);
    }

    @Test
    void advanceReachesEverySavedStateAndContinuesTheStream() {
        // {words, floats} before the start state, then {words, floats} from there to the target
        int[][] cases = {{0, 0, 0, 0}, {0, 0, 3, 0}, {0, 0, 0, 9}, {2, 0, 1, 0}, {2, 0, 2, 0}, {2, 0, 0, 5}, {2, 0, 7, 0}, {0, 5, 6, 0},
                {1, 0, 4, 0}, {0, 0, 5, 17}, {3, 8, 0, 0}};
        for (int[] c : cases) {
            Rng straight = new Rng(7).split(3);
            use(straight, c[0], c[1]);
            Rng resumed = Rng.fromState(straight.state());
            use(straight, c[2], c[3]);
            DropoutStreams.advance(resumed, straight.state(), "case");
            assertArrayEquals(straight.state(), resumed.state(), java.util.Arrays.toString(c));
            float[] a = new float[11], b = new float[11];
            for (int i = 0; i < 3; i++) assertEquals(straight.nextInt(), resumed.nextInt());
            straight.fillNormal(a, 0, 11, 0f, 1f);
            resumed.fillNormal(b, 0, 11, 0f, 1f);
            assertArrayEquals(a, b);
        }
    }

    @Test
    void advanceRejectsAnotherStreamOrAGeneratorPastTheState() {
        Rng rng = new Rng(7);
        use(rng, 0, 40);
        long[] earlier = new Rng(7).state();
        var e = assertThrows(IllegalArgumentException.class, () -> DropoutStreams.advance(rng, earlier, "head.dropout"));
        assertTrue(e.getMessage().startsWith("head.dropout: this model's generator is already past the saved state"), e.getMessage());
        long[] other = new Rng(7).split(1).state();
        e = assertThrows(IllegalArgumentException.class, () -> DropoutStreams.advance(new Rng(7), other, "x"));
        assertTrue(e.getMessage().contains("is not this model's"), e.getMessage());
    }
}
