package dev.tessera.nn;

import dev.tessera.autograd.Variable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Applies layers in order. Layers that are {@link Module}s are registered as children named by
 * their position ("0", "1", ...), so their parameters appear as {@code "0.weight"}; stateless
 * layers (activations, lambdas) take a position but register nothing.
 *
 * <pre>{@code
 * var net = new Sequential(new Linear(4, 8, rng), Activation.RELU, new Linear(8, 1, rng));
 * Variable y = net.forward(x);
 * }</pre>
 */
public final class Sequential extends Module implements Layer {
    private final List<Layer> layers = new ArrayList<>();

    /** A sequence of the given layers. */
    public Sequential(Layer... layers) {
        for (Layer l : layers) add(l);
    }

    /** Appends a layer and returns this. */
    public Sequential add(Layer layer) {
        if (layer == null) throw new IllegalArgumentException("Sequential.add: layer " + layers.size() + " is null");
        if (layer instanceof Module m) child(Integer.toString(layers.size()), m);
        layers.add(layer);
        return this;
    }

    /** The layers in order (read-only). */
    public List<Layer> layers() {
        return Collections.unmodifiableList(layers);
    }

    /** The number of layers. */
    public int size() {
        return layers.size();
    }

    @Override
    public Variable forward(Variable x) {
        for (Layer l : layers) x = l.forward(x);
        return x;
    }
}
