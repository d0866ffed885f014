package dev.tessera.nn.transformer;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.Module;
import dev.tessera.nn.ModuleList;
import dev.tessera.nn.layers.LayerNorm;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Tensor;
import java.util.function.IntFunction;

/**
 * A stack of {@link EncoderLayer}s, with a final layer norm when the layers are pre-LN (their residual
 * stream is otherwise never normalized).
 *
 * <pre>{@code
 * var enc = new Encoder(4, i -> EncoderLayer.standard(64, 8, 2, 256, 0.1, DType.F32, rng));
 * Variable h = enc.forward(x, padMask);
 * }</pre>
 */
public final class Encoder extends Module {
    private final ModuleList<EncoderLayer> layers;
    private final LayerNorm finalNorm;

    /** {@code numLayers} layers built by {@code layer} (called with the layer index). */
    public Encoder(int numLayers, IntFunction<EncoderLayer> layer) {
        if (numLayers <= 0) throw new IllegalArgumentException("Encoder: numLayers must be positive, got " + numLayers);
        this.layers = child("layers", new ModuleList<>());
        for (int i = 0; i < numLayers; i++) layers.add(layer.apply(i));
        EncoderLayer first = layers.get(0);
        int d = first.attention().dModel();
        this.finalNorm = first.preLn() ? child("norm", new LayerNorm(d, 1e-5, true, first.attention().q().weight().value().dtype())) : null;
    }

    /** The layers. */
    public ModuleList<EncoderLayer> layers() { return layers; }

    /** The final layer norm, or null for post-LN stacks. */
    public LayerNorm finalNorm() { return finalNorm; }

    /** x [B, T, dModel]; keyPadding BOOL [B, T] (true = padded) is nullable. */
    public Variable forward(Variable x, Tensor keyPadding) {
        for (EncoderLayer l : layers) x = l.forward(x, keyPadding);
        return finalNorm == null ? x : finalNorm.forward(x);
    }
}
