package dev.tessera.tensor.internal.cpu;

import java.util.logging.Logger;

/**
 * Process-wide CPU backend settings, read once: the worker thread count and whether the
 * Vector API (SIMD) kernels or the scalar fallback kernels are used.
 *
 * <ul>
 *   <li>{@code TESSERA_THREADS} (environment) or {@code tessera.threads} (system property):
 *       number of worker threads; default {@link Runtime#availableProcessors()}.</li>
 *   <li>{@code tessera.simd} (system property) {@code true}/{@code false}: force the SIMD
 *       or scalar path; default SIMD when {@code jdk.incubator.vector} is available.</li>
 * </ul>
 */
public final class CpuConfig {
    private static final Logger LOG = Logger.getLogger(CpuConfig.class.getName());
    private static final int THREADS = readThreads();
    private static final boolean SIMD = readSimd();
    private static volatile boolean logged;

    private CpuConfig() {}

    /** Number of threads the CPU backend may use (at least 1). */
    public static int threads() {
        return THREADS;
    }

    /** True when the Vector API kernels are active; false when the scalar fallback runs. */
    public static boolean simd() {
        logOnce();
        return SIMD;
    }

    /** Width in bits of the preferred float vector of the SIMD path, or 0 on the scalar path. */
    public static int vectorBits() {
        return SIMD ? VectorSupport.preferredBits() : 0;
    }

    /** One-line description of the active CPU path, e.g. {@code "SIMD (Vector API, 512-bit), 2 threads"}. */
    public static String describe() {
        return (SIMD ? "SIMD (Vector API, " + vectorBits() + "-bit)" : "scalar (Vector API disabled)")
                + ", " + THREADS + (THREADS == 1 ? " thread" : " threads");
    }

    private static void logOnce() {
        if (!logged) {
            logged = true;
            LOG.fine(() -> "Tessera CPU backend: " + describe());
        }
    }

    private static int readThreads() {
        String v = System.getProperty("tessera.threads");
        if (v == null) v = System.getenv("TESSERA_THREADS");
        if (v == null || v.isBlank()) return Runtime.getRuntime().availableProcessors();
        try {
            int n = Integer.parseInt(v.trim());
            if (n < 1) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("TESSERA_THREADS must be a positive integer, got '" + v + "'");
        }
    }

    private static boolean readSimd() {
        String v = System.getProperty("tessera.simd");
        boolean wanted = v == null || Boolean.parseBoolean(v);
        return wanted && VectorSupport.available();
    }
}
