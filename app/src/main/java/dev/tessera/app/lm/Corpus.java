package dev.tessera.app.lm;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A training text.
 *
 * @param name   short name (for logs and checkpoints), for example {@code factbook} or a file name
 * @param text   the text
 * @param origin where it came from and under which terms
 */
public record Corpus(String name, String text, String origin) {
    /** Validates the fields. */
    public Corpus {
        Objects.requireNonNull(name, "Corpus: name is null");
        Objects.requireNonNull(origin, "Corpus: origin is null");
        if (text == null || text.isEmpty()) throw new IllegalArgumentException("Corpus " + name + ": the text is empty");
    }

    /** Size of the UTF-8 text in bytes. */
    public long bytes() {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }

    /** SHA-256 of the UTF-8 text, hex (identifies the corpus in checkpoints). */
    public String sha256() {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
