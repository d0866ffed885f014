package dev.tessera.tensor.io;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Temporary siblings for write-then-rename: every file Tessera writes (checkpoints, datasets, shards,
 * reports) is first written under a hidden temporary name in the target's folder and then renamed, so a
 * crash never leaves a half-written file behind.
 *
 * <p>Unlike {@code Files.createTempFile}, which creates owner-only (0600) files,
 * these get the default permissions of a new file (as the process's umask allows), so the renamed result
 * is readable like any other file the user writes.
 *
 * <pre>{@code
 * Path tmp = AtomicFiles.tempFile(dir, "." + name + ".", ".tmp");
 * Files.write(tmp, bytes);
 * Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
 * }</pre>
 */
public final class AtomicFiles {
    private static final SecureRandom RANDOM = new SecureRandom();

    private AtomicFiles() {}

    /** Creates a new empty file {@code dir/prefix<random>suffix} with default permissions. */
    public static Path tempFile(Path dir, String prefix, String suffix) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path p = dir.resolve(prefix + randomName() + suffix);
            try {
                return Files.createFile(p);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) throw e;
            }
        }
    }

    /** Creates a new empty folder {@code dir/prefix<random>} with default permissions. */
    public static Path tempDirectory(Path dir, String prefix) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path p = dir.resolve(prefix + randomName());
            try {
                return Files.createDirectory(p);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) throw e;
            }
        }
    }

    private static String randomName() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
