package dev.tessera.tensor.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
 * AtomicFiles.write(dir.resolve("report.csv"), tmp -> Files.writeString(tmp, csv));
 * AtomicFiles.writeString(dir.resolve("info.json"), json);
 * }</pre>
 */
public final class AtomicFiles {
    private static final SecureRandom RANDOM = new SecureRandom();

    private AtomicFiles() {}

    /** Fills the temporary file that then replaces the target. */
    @FunctionalInterface
    public interface Writer {
        /** Writes the whole content into {@code tmp}. */
        void write(Path tmp) throws IOException;
    }

    /**
     * Writes {@code target} through {@code writer} into a fresh temporary sibling (creating the folder
     * if needed) and renames it over the target; on any failure the temporary file is removed and the
     * previous target, if any, is left untouched.
     */
    public static void write(Path target, Writer writer) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        String name = abs.getFileName().toString();
        int dot = name.lastIndexOf('.');
        // keep the extension last: some encoders choose the format by it or append their own
        Path tmp = tempFile(dir, "." + name + ".", ".tmp" + (dot > 0 ? name.substring(dot) : ""));
        try {
            writer.write(tmp);
            replace(tmp, abs);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** {@link #write} of a UTF-8 string. */
    public static void writeString(Path target, String text) throws IOException {
        write(target, tmp -> Files.writeString(tmp, text, StandardCharsets.UTF_8));
    }

    /** {@link #write} of a byte array. */
    public static void writeBytes(Path target, byte[] bytes) throws IOException {
        write(target, tmp -> Files.write(tmp, bytes));
    }

    /** Renames {@code source} over {@code target}, atomically where the file system can. */
    public static void replace(Path source, Path target) throws IOException {
        try {
            Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(source, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

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
