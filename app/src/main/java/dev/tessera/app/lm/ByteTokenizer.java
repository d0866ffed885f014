package dev.tessera.app.lm;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Byte-level tokens: the UTF-8 bytes of the text, ids 0..255; needs no vocabulary file. */
public final class ByteTokenizer implements Tokenizer {
    /** The only instance. */
    public static final ByteTokenizer INSTANCE = new ByteTokenizer();

    private ByteTokenizer() {}

    @Override
    public int vocabSize() {
        return 256;
    }

    @Override
    public int[] encode(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        int[] out = new int[b.length];
        for (int i = 0; i < b.length; i++) out[i] = b[i] & 0xFF;
        return out;
    }

    @Override
    public String decode(int[] tokens) {
        byte[] b = new byte[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] > 255) throw new IllegalArgumentException("ByteTokenizer.decode: token " + tokens[i] + " outside [0, 256)");
            b[i] = (byte) tokens[i];
        }
        return new String(b, StandardCharsets.UTF_8);
    }

    @Override
    public Map<String, Object> toMap() {
        return Map.of("kind", "byte");
    }

    @Override
    public String toString() {
        return "byte (256 tokens)";
    }
}
