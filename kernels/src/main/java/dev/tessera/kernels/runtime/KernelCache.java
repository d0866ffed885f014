package dev.tessera.kernels.runtime;

import dev.tessera.tensor.io.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The on-disk cache of CUBINs compiled by NVRTC, one file per
 * {@code sha256(source, header, options, NVRTC version, architecture)}. The folder is
 * {@code -Dtessera.kernel.cache}, else {@code $TESSERA_KERNEL_CACHE}, else
 * {@code $XDG_CACHE_HOME/tessera/kernels}, else {@code ~/.cache/tessera/kernels}, resolved at run
 * time. Files are written to a temporary name and renamed, so a crash never leaves a truncated
 * entry; an unwritable folder only disables caching.
 */
public final class KernelCache {
    private static final System.Logger LOG = System.getLogger("dev.tessera.kernels");

    private final Path dir;
    private volatile boolean warned;

    /** A cache in {@code dir}. */
    public KernelCache(Path dir) {
        this.dir = dir;
    }

    /** The cache configured by properties and environment (see the class comment). */
    public static KernelCache fromConfig() {
        return new KernelCache(configuredDir());
    }

    /** The configured folder. */
    public static Path configuredDir() {
        String p = System.getProperty("tessera.kernel.cache");
        if (p == null || p.isBlank()) p = System.getenv("TESSERA_KERNEL_CACHE");
        if (p != null && !p.isBlank()) return Path.of(p);
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("tessera").resolve("kernels");
    }

    /** The folder. */
    public Path dir() {
        return dir;
    }

    /** The cache key of a compilation. */
    public static String key(String source, String header, List<String> options, String compilerVersion, String arch) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String s : List.of(source, header, String.join("\u0001", options), compilerVersion, arch)) {
                md.update(s.getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    private Path file(String key) {
        return dir.resolve(key + ".cubin");
    }

    /** The cached binary of {@code key}, if present. */
    public Optional<byte[]> get(String key) {
        Path f = file(key);
        try {
            return Files.isRegularFile(f) ? Optional.of(Files.readAllBytes(f)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Stores a binary; failures are logged once and otherwise ignored. */
    public void put(String key, byte[] binary) {
        try {
            AtomicFiles.writeBytes(file(key), binary);
        } catch (IOException e) {
            if (!warned) {
                warned = true;
                LOG.log(System.Logger.Level.WARNING, "kernel cache " + dir + " is not writable (" + e
                        + "); kernels will be recompiled in every process");
            }
        }
    }

    /** Removes a (corrupt) entry. */
    public void remove(String key) {
        try {
            Files.deleteIfExists(file(key));
        } catch (IOException e) {
            // a stale entry is only recompiled next time
        }
    }
}
