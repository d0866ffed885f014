package dev.tessera.kernels.cuda;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

/**
 * Opens native libraries by soname or path through the FFM API (dlopen under the hood) and
 * finds where the CUDA toolkit libraries (NVRTC, cuBLAS) may live.
 *
 * <p>Search order for a toolkit library: each candidate soname through the dynamic linker
 * (honours {@code LD_LIBRARY_PATH} and ldconfig), then in every directory of
 * {@link #searchDirs()}: {@code -Dtessera.cuda.libdir} (path list), {@code $CUDA_HOME}'s library
 * folders, and the pip-wheel layouts ({@code site-packages/nvidia/<pkg>/lib}).
 */
public final class NativeLibs {
    private NativeLibs() {}

    /** The native linker used for every downcall. */
    public static final Linker LINKER = Linker.nativeLinker();

    /**
     * An opened library.
     *
     * @param name   the soname or path it was opened by
     * @param path   where the loaded file lives, as far as it could be determined
     * @param lookup its symbols
     */
    public record Loaded(String name, String path, SymbolLookup lookup) {
        /** The address of {@code symbol}, or empty. */
        public Optional<MemorySegment> find(String symbol) {
            return lookup.find(symbol);
        }

        /** The address of {@code symbol}; throws naming the library when it is missing. */
        public MemorySegment require(String symbol) {
            return lookup.find(symbol).orElseThrow(() -> new UnsatisfiedLinkError(
                    "symbol " + symbol + " not found in " + path));
        }
    }

    /** Opens a library by soname (dynamic linker search) or absolute path; empty when it cannot be opened. */
    public static Optional<Loaded> open(String nameOrPath) {
        try {
            SymbolLookup l = nameOrPath.contains("/")
                    ? SymbolLookup.libraryLookup(Path.of(nameOrPath), Arena.global())
                    : SymbolLookup.libraryLookup(nameOrPath, Arena.global());
            return Optional.of(new Loaded(nameOrPath, resolvedPath(nameOrPath), l));
        } catch (IllegalArgumentException | IllegalCallerException e) {
            return Optional.empty();
        }
    }

    /**
     * Opens the first of {@code sonames} that loads: each by the dynamic linker first, then in
     * each of {@code dirs}. Empty when none does.
     */
    public static Optional<Loaded> openFirst(List<String> sonames, List<Path> dirs) {
        for (String so : sonames) {
            Optional<Loaded> l = open(so);
            if (l.isPresent()) return l;
            for (Path d : dirs) {
                Path p = d.resolve(so);
                if (Files.isRegularFile(p) || Files.isSymbolicLink(p)) {
                    l = open(p.toAbsolutePath().toString());
                    if (l.isPresent()) return l;
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Candidate sonames of a CUDA toolkit library ({@code libnvrtc}, {@code libcublas}) for a
     * driver version as reported by {@code cuDriverGetVersion} (e.g. 12040, 13000): a CUDA 13
     * library needs a driver of at least 13000, so such drivers try {@code .so.13} then
     * {@code .so.12}, older 12.x drivers only {@code .so.12}; drivers older than 12.0 get none.
     */
    public static List<String> sonames(String base, int driverVersion) {
        if (driverVersion >= 13000) return List.of(base + ".so.13", base + ".so.12");
        if (driverVersion >= 12000) return List.of(base + ".so.12");
        return List.of();
    }

    /** Directories searched after the dynamic linker, in order (existing ones only). */
    public static List<Path> searchDirs() {
        LinkedHashSet<Path> dirs = new LinkedHashSet<>();
        String prop = System.getProperty("tessera.cuda.libdir");
        if (prop != null) for (String s : prop.split(java.io.File.pathSeparator)) if (!s.isBlank()) dirs.add(Path.of(s));
        String cudaHome = System.getenv("CUDA_HOME");
        if (cudaHome == null) cudaHome = System.getenv("CUDA_PATH");
        if (cudaHome != null) {
            for (String sub : List.of("lib64", "lib", "targets/x86_64-linux/lib")) dirs.add(Path.of(cudaHome, sub));
        }
        dirs.add(Path.of("/usr/local/cuda/lib64"));
        List<Path> roots = new ArrayList<>();
        for (String env : List.of("VIRTUAL_ENV", "CONDA_PREFIX")) {
            String v = System.getenv(env);
            if (v != null) roots.add(Path.of(v, "lib"));
        }
        roots.add(Path.of("/usr/local/lib"));
        roots.add(Path.of("/usr/lib"));
        roots.add(Path.of("/opt/conda/lib"));
        roots.add(Path.of(System.getProperty("user.home"), ".local", "lib"));
        for (Path root : roots) {
            for (Path py : list(root, "python3*")) {
                for (String pk : List.of("site-packages", "dist-packages")) {
                    Path nv = py.resolve(pk).resolve("nvidia");
                    for (Path pkg : list(nv, "*")) dirs.add(pkg.resolve("lib"));
                }
            }
        }
        return dirs.stream().filter(Files::isDirectory).toList();
    }

    private static List<Path> list(Path dir, String glob) {
        if (!Files.isDirectory(dir)) return List.of();
        List<Path> r = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, glob)) {
            for (Path p : ds) if (Files.isDirectory(p)) r.add(p);
        } catch (IOException e) {
            return List.of();
        }
        r.sort(null);
        return r;
    }

    /** The file a loaded library came from, read from /proc/self/maps when it was opened by soname. */
    static String resolvedPath(String nameOrPath) {
        if (nameOrPath.contains("/")) return nameOrPath;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                int i = line.indexOf('/');
                if (i >= 0 && line.endsWith("/" + nameOrPath)) return line.substring(i);
            }
            // sonames are often symlinks: match the file whose name starts with the soname
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                int i = line.indexOf('/');
                if (i >= 0 && Path.of(line.substring(i)).getFileName().toString().startsWith(nameOrPath)) {
                    return line.substring(i);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux or not readable: fall back to the name
        }
        return nameOrPath;
    }
}
