package dev.tessera.nn.transformer;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.Module;
import dev.tessera.nn.ModuleList;
import dev.tessera.nn.attention.KvCache;
import dev.tessera.nn.layers.LayerNorm;
import dev.tessera.tensor.Tensor;
import java.util.function.IntFunction;

/**
 * A stack of {@link DecoderLayer}s with a final layer norm for pre-LN stacks. Incremental decoding keeps
 * one {@link KvCache} per layer ({@link #newCaches()}).
 *
 * <pre>{@code
 * var dec = new Decoder(2, i -> DecoderLayer.standard(64, 8, 2, 256, 0.0, false, DType.F32, rng));
 * KvCache[] caches = dec.newCaches();
 * Variable h0 = dec.forward(prompt, null, null, null, caches);
 * Variable h1 = dec.forward(next, null, null, null, caches);
 * }</pre>
 */
public final class Decoder extends Module {
    private final ModuleList<DecoderLayer> layers;
    private final LayerNorm finalNorm;

    /** {@code numLayers} layers built by {@code layer} (called with the layer index). */
    public Decoder(int numLayers, IntFunction<DecoderLayer> layer) {
        if (numLayers <= 0) throw new IllegalArgumentException("Decoder: numLayers must be positive, got " + numLayers);
        this.layers = child("layers", new ModuleList<>());
        for (int i = 0; i < numLayers; i++) layers.add(layer.apply(i));
        DecoderLayer first = layers.get(0);
        this.finalNorm = first.preLn()
                ? child("norm", new LayerNorm(first.selfAttention().dModel(), 1e-5, true, first.selfAttention().q().weight().value().dtype()))
                : null;
    }

    /** The layers. */
    public ModuleList<DecoderLayer> layers() { return layers; }

    /** One empty cache per layer. */
    public KvCache[] newCaches() {
        KvCache[] c = new KvCache[layers.size()];
        for (int i = 0; i < c.length; i++) c[i] = new KvCache();
        return c;
    }

    /** Full causal forward; see {@link DecoderLayer#forward(Variable, Tensor, Variable, Tensor)}. */
    public Variable forward(Variable x, Tensor padding, Variable memory, Tensor memoryPadding) {
        for (DecoderLayer l : layers) x = l.forward(x, padding, memory, memoryPadding);
        return finalNorm == null ? x : finalNorm.forward(x);
    }

    /** Incremental step with one cache per layer; equals the matching rows of the full forward. */
    public Variable forward(Variable x, Tensor padding, Variable memory, Tensor memoryPadding, KvCache[] caches) {
        if (caches.length != layers.size()) {
            throw new IllegalArgumentException("Decoder.forward: expected " + layers.size() + " caches, got " + caches.length);
        }
        for (int i = 0; i < caches.length; i++) x = layers.get(i).forward(x, padding, memory, memoryPadding, caches[i]);
        return finalNorm == null ? x : finalNorm.forward(x);
    }
}
