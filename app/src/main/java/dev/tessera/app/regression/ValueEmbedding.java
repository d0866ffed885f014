package dev.tessera.app.regression;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.Module;
import dev.tessera.nn.layers.Linear;
import dev.tessera.nn.transformer.SinusoidalPositions;
import dev.tessera.tensor.Rng;

/**
 * Tokens from real values: each value becomes {@code Linear(1, d)(value)} plus the sinusoidal encoding of its
 * position, so a sequence [B, T] turns into [B, T, d]. Fixed sinusoids (rather than learned positions, which start
 * near zero) give attention a strong positional signal from the first step, which the reverse and sort tasks need.
 */
public final class ValueEmbedding extends Module {
    private final Linear proj;
    private final SinusoidalPositions positions;

    /** Embeddings of width {@code dModel} for positions {@code 0 .. maxLen - 1}. */
    public ValueEmbedding(int maxLen, int dModel, Rng rng) {
        this.proj = child("proj", new Linear(1, dModel, rng));
        this.positions = child("pos", new SinusoidalPositions(maxLen, dModel));
    }

    /** {@code values [B, T]} at positions {@code offset .. offset + T - 1} to {@code [B, T, d]}. */
    public Variable forward(Variable values, int offset) {
        int b = values.dim(0), t = values.dim(1);
        return positions.forward(proj.forward(values.reshape(b, t, 1)), offset);
    }
}
