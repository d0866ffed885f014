package dev.tessera.app.lm;

import java.util.Map;

/**
 * Text to token ids and back. Both tokenizers work on the UTF-8 bytes of the text, so every string
 * round-trips ({@code decode(encode(s)).equals(s)}) and no text is out of vocabulary.
 *
 * <pre>{@code
 * Tokenizer tok = ByteTokenizer.INSTANCE;            // or BpeTokenizer.train(corpusText, 512)
 * int[] ids = tok.encode("Hello");
 * String back = tok.decode(ids);
 * }</pre>
 */
public sealed interface Tokenizer permits ByteTokenizer, BpeTokenizer {
    /** Number of token ids (ids lie in {@code [0, vocabSize)}). */
    int vocabSize();

    /** Token ids of {@code text}. */
    int[] encode(String text);

    /**
     * The text of {@code tokens}. A sequence that ends inside a multi-byte UTF-8 character (a sample
     * cut mid-character) decodes that partial character to U+FFFD.
     */
    String decode(int[] tokens);

    /** JSON-serializable description, stored in checkpoints ({@link #fromMap}). */
    Map<String, Object> toMap();

    /** Reads a tokenizer written by {@link #toMap()}. */
    static Tokenizer fromMap(Map<String, Object> map) {
        Object kind = map.get("kind");
        if ("byte".equals(kind)) return ByteTokenizer.INSTANCE;
        if ("bpe".equals(kind)) return BpeTokenizer.fromMap(map);
        throw new IllegalArgumentException("tokenizer: unknown kind '" + kind + "' (expected byte or bpe)");
    }
}
