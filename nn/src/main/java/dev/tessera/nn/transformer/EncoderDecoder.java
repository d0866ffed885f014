package dev.tessera.nn.transformer;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.Module;
import dev.tessera.tensor.Tensor;

/**
 * An encoder over the source and a decoder over the target that cross-attends to the encoder output.
 * Inputs are already embedded: src [B, S, d], tgt [B, T, d].
 *
 * <pre>{@code
 * var model = new EncoderDecoder(encoder, decoder);
 * Variable h = model.forward(src, srcPad, tgt, tgtPad);
 * }</pre>
 */
public final class EncoderDecoder extends Module {
    private final Encoder encoder;
    private final Decoder decoder;

    /** Pairs an encoder with a decoder whose layers have cross-attention. */
    public EncoderDecoder(Encoder encoder, Decoder decoder) {
        for (DecoderLayer l : decoder.layers()) {
            if (l.crossAttention() == null) throw new IllegalArgumentException("EncoderDecoder: decoder layers need cross-attention");
        }
        this.encoder = child("encoder", encoder);
        this.decoder = child("decoder", decoder);
    }

    /** The encoder. */
    public Encoder encoder() { return encoder; }

    /** The decoder. */
    public Decoder decoder() { return decoder; }

    /** Decoder output [B, T, d]; paddings are nullable BOOL masks (true = padded). */
    public Variable forward(Variable src, Tensor srcPadding, Variable tgt, Tensor tgtPadding) {
        Variable memory = encoder.forward(src, srcPadding);
        return decoder.forward(tgt, tgtPadding, memory, srcPadding);
    }
}
