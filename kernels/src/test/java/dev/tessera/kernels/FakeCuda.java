package dev.tessera.kernels;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Builds the fake CUDA libraries of {@code src/test/c} with gcc against the real {@code cuda.h}
 * (into the build folder) and points the binding at them through system properties. Tests call
 * {@link #install()} first and skip (JUnit assumption) with {@link #skipReason()} when gcc or
 * cuda.h is missing.
 */
public final class FakeCuda {
    private FakeCuda() {}

    private static final Path BUILD = Path.of(System.getProperty("tessera.test.buildDir", "target"));
    /** Folder of the built fake libraries. */
    public static final Path DIR = BUILD.resolve("fake-cuda");
    private static String skip;
    private static boolean installed;
    private static SymbolLookup driverLib, nvrtcLib, cublasLib;

    /** Why the fake libraries cannot be built here, or empty. */
    public static synchronized Optional<String> skipReason() {
        install();
        return Optional.ofNullable(skip);
    }

    /** The folder holding cuda.h, if any. */
    public static Optional<Path> cudaInclude() {
        List<Path> c = new ArrayList<>();
        for (String env : List.of("CUDA_HOME", "CUDA_PATH")) {
            String v = System.getenv(env);
            if (v != null) c.add(Path.of(v, "include"));
        }
        c.add(Path.of("/usr/local/cuda/include"));
        Optional<Path> nvcc = which("nvcc");
        nvcc.ifPresent(p -> {
            try {
                c.add(p.toRealPath().getParent().getParent().resolve("include"));
            } catch (IOException e) {
                // ignore
            }
        });
        return c.stream().filter(p -> Files.isRegularFile(p.resolve("cuda.h"))).findFirst();
    }

    /** An executable on the PATH. */
    public static Optional<Path> which(String exe) {
        String path = System.getenv("PATH");
        if (path == null) return Optional.empty();
        for (String d : path.split(":")) {
            Path p = Path.of(d, exe);
            if (Files.isExecutable(p)) return Optional.of(p);
        }
        return Optional.empty();
    }

    /** Builds (when stale) and installs the fake libraries; idempotent. */
    public static synchronized void install() {
        if (installed) return;
        installed = true;
        Optional<Path> inc = cudaInclude();
        if (which("gcc").isEmpty()) {
            skip = "gcc not found: fake CUDA library tests skipped";
            return;
        }
        if (inc.isEmpty()) {
            skip = "cuda.h not found (set CUDA_HOME): fake CUDA library tests skipped";
            return;
        }
        try {
            Files.createDirectories(DIR);
            Path src = Path.of("src/test/c");
            build(src.resolve("fake_cuda.c"), DIR.resolve("libcuda.so.1"), "-I" + inc.get(), "-ldl");
            build(src.resolve("fake_nvrtc.c"), DIR.resolve("libnvrtc.so.13"));
            build(src.resolve("fake_cublas.c"), DIR.resolve("libcublas.so.13"));
        } catch (IOException | InterruptedException e) {
            skip = "building the fake CUDA libraries failed: " + e.getMessage();
            return;
        }
        System.setProperty("tessera.cuda.driver", DIR.resolve("libcuda.so.1").toAbsolutePath().toString());
        System.setProperty("tessera.cuda.nvrtc", DIR.resolve("libnvrtc.so.13").toAbsolutePath().toString());
        System.setProperty("tessera.cuda.cublas", DIR.resolve("libcublas.so.13").toAbsolutePath().toString());
        System.setProperty("tessera.kernel.cache", DIR.resolve("kernel-cache").toAbsolutePath().toString());
        driverLib = SymbolLookup.libraryLookup(DIR.resolve("libcuda.so.1").toAbsolutePath(), Arena.global());
        nvrtcLib = SymbolLookup.libraryLookup(DIR.resolve("libnvrtc.so.13").toAbsolutePath(), Arena.global());
        cublasLib = SymbolLookup.libraryLookup(DIR.resolve("libcublas.so.13").toAbsolutePath(), Arena.global());
        try {
            // GEMMs become work on the fake driver's stream (captured into graphs like kernels)
            fn(cublasLib, "fake_cublas_set_host_launcher", FunctionDescriptor.ofVoid(ADDRESS))
                    .invokeExact(driverLib.find("cuLaunchHostFunc").orElseThrow());
        } catch (Throwable t) {
            throw new IllegalStateException("hooking the fake cuBLAS to the fake driver", t);
        }
    }

    private static void build(Path c, Path out, String... extra) throws IOException, InterruptedException {
        if (Files.exists(out) && Files.getLastModifiedTime(out).compareTo(Files.getLastModifiedTime(c)) > 0) return;
        List<String> cmd = new ArrayList<>(List.of("gcc", "-shared", "-fPIC", "-O1", "-Wall", "-Werror"));
        cmd.addAll(List.of("-o", out.toString(), c.toString()));
        cmd.addAll(List.of(extra));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + "\n" + log);
        }
    }

    private static Boolean emulating;

    /**
     * Makes the fake driver run kernel launches on the host: every CUDA source is compiled as C++
     * with g++ against {@code src/test/c/emu/emu.h} (one cooperative context per CUDA thread for
     * kernels that synchronise), and the fake reports 2 SMs so grids stay small. Returns false
     * (with the reason printed) when g++ is missing or the build fails.
     */
    public static synchronized boolean enableEmulation() {
        install();
        if (emulating != null) return emulating;
        emulating = false;
        if (skip != null) return false;
        if (which("g++").isEmpty()) {
            System.out.println("[emu] g++ not found: kernel emulation unavailable");
            return false;
        }
        try {
            Path lib = buildEmulator();
            int rc;
            try (Arena a = Arena.ofConfined()) {
                rc = (int) fn(driverLib, "fake_set_emu", FunctionDescriptor.of(JAVA_INT, ADDRESS))
                        .invokeExact(a.allocateFrom(lib.toAbsolutePath().toString()));
            }
            if (rc != 0) throw new IOException("fake_set_emu returned " + rc);
            fn(driverLib, "fake_set_sms", FunctionDescriptor.ofVoid(JAVA_INT)).invokeExact(2);
            emulating = true;
        } catch (Throwable t) {
            System.out.println("[emu] kernel emulation unavailable: " + t.getMessage());
        }
        return emulating;
    }

    /** Modules none of whose kernels synchronise (no barriers, shuffles or warp collectives): they run without contexts. */
    private static final java.util.Set<String> INDEPENDENT_THREADS = java.util.Set.of("elementwise", "indexing", "sort", "random");

    /** Kernels that synchronise (barriers, shuffles, tensor-core fragments): every module but the independent ones, plus the shared-memory sort. */
    private static boolean synchronises(String module, String kernel) {
        return !INDEPENDENT_THREADS.contains(module) || kernel.equals("sort_rows_smem");
    }

    private static Path buildEmulator() throws IOException, InterruptedException {
        Path src = Path.of(System.getProperty("tessera.test.cudaSources", "src/main/resources/dev/tessera/kernels/cuda"));
        Path emu = Path.of("src/test/c/emu");
        Path gen = DIR.resolve("emu");
        Files.createDirectories(gen);
        java.util.regex.Pattern entry = java.util.regex.Pattern.compile(
                "extern \"C\" __global__ void (?:__launch_bounds__\\([^)]*\\) )?(\\w+)\\(([^)]*)\\)", java.util.regex.Pattern.DOTALL);
        List<String> units = new ArrayList<>();
        StringBuilder tables = new StringBuilder("#include \"emu.h\"\n");
        List<String> modules = dev.tessera.kernels.runtime.KernelSources.MODULES;
        long newest = Files.getLastModifiedTime(emu.resolve("emu.h")).toMillis();
        newest = Math.max(newest, Files.getLastModifiedTime(emu.resolve("emu_runtime.cpp")).toMillis());
        newest = Math.max(newest, Files.getLastModifiedTime(src.resolve("common.cuh")).toMillis());
        for (String m : modules) {
            Path cu = src.resolve(m + ".cu");
            newest = Math.max(newest, Files.getLastModifiedTime(cu).toMillis());
            StringBuilder b = new StringBuilder("#include \"emu.h\"\n#include \"" + cu.toAbsolutePath() + "\"\n");
            StringBuilder table = new StringBuilder("static const EmuKernel table[] = {\n");
            java.util.regex.Matcher k = entry.matcher(Files.readString(cu));
            while (k.find()) {
                String name = k.group(1);
                String[] params = k.group(2).split(",");
                StringBuilder call = new StringBuilder(), sizes = new StringBuilder();
                for (int i = 0; i < params.length; i++) {
                    String p = params[i].replace("__restrict__", "").strip();
                    String type = p.substring(0, p.length() - p.replaceAll("^.*?(\\w+)$", "$1").length()).strip();
                    call.append(i == 0 ? "" : ", ").append("*(").append(type).append("*)p[").append(i).append("]");
                    sizes.append(i == 0 ? "" : ", ").append("(int)sizeof(").append(type).append(")");
                }
                b.append("static void tramp_").append(name).append("(void** p) { ").append(name).append("(").append(call)
                        .append("); }\n");
                b.append("static const int ps_").append(name).append("[] = {").append(sizes).append("};\n");
                table.append("    {\"").append(name).append("\", tramp_").append(name).append(", ")
                        .append(synchronises(m, name) ? 1 : 0).append(", ").append(params.length).append(", ps_").append(name)
                        .append("},\n");
            }
            table.append("    {0, 0, 0, 0, 0}};\n");
            b.append(table).append("const EmuKernel* emu_table_").append(m).append("() { return table; }\n");
            Path unit = gen.resolve("emu_" + m + ".cpp");
            Files.writeString(unit, b);
            units.add(unit.toString());
            tables.append("const EmuKernel* emu_table_").append(m).append("();\n");
        }
        tables.append("typedef const EmuKernel* (*EmuTable)();\nextern const EmuTable emu_module_tables[] = {");
        for (String m : modules) tables.append("emu_table_").append(m).append(", ");
        tables.append("0};\n");
        Path tablesUnit = gen.resolve("emu_tables.cpp");
        Files.writeString(tablesUnit, tables);
        Path lib = DIR.resolve("libtessera_emu.so");
        if (Files.exists(lib) && Files.getLastModifiedTime(lib).toMillis() > newest) return lib;
        List<String> cmd = new ArrayList<>(List.of("g++", "-shared", "-fPIC", "-O1", "-std=c++17", "-ffp-contract=off",
                "-w", "-I" + emu.toAbsolutePath(), "-I" + src.toAbsolutePath(), "-o", lib.toString(),
                emu.resolve("emu_runtime.cpp").toString(), tablesUnit.toString()));
        cmd.addAll(units);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException("g++ failed:\n" + log);
        return lib;
    }

    private static MethodHandle fn(SymbolLookup lib, String name, FunctionDescriptor fd) {
        return Linker.nativeLinker().downcallHandle(lib.find(name).orElseThrow(), fd);
    }

    /** Makes the next {@code times} calls of driver function {@code fn} return {@code code}. */
    public static void fail(String fn, int code, int times) {
        try (Arena a = Arena.ofConfined()) {
            fn(driverLib, "fake_fail", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT))
                    .invokeExact(a.allocateFrom(fn), code, times);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Sets the version cuDriverGetVersion reports. */
    public static void setDriverVersion(int v) {
        try {
            fn(driverLib, "fake_set_driver_version", FunctionDescriptor.ofVoid(JAVA_INT)).invokeExact(v);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static long longFn(SymbolLookup lib, String name) {
        try {
            return (long) fn(lib, name, FunctionDescriptor.of(JAVA_LONG)).invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Outstanding cuMemAlloc blocks. */
    public static long liveAllocs() {
        return longFn(driverLib, "fake_live_allocs");
    }

    /** Size passed to the last cuMemAlloc. */
    public static long lastAllocSize() {
        return longFn(driverLib, "fake_last_alloc_size");
    }

    /** cuLaunchKernel calls so far. */
    public static long launches() {
        return longFn(driverLib, "fake_launches");
    }

    /** cuGraphLaunch calls so far. */
    public static long graphLaunches() {
        return longFn(driverLib, "fake_graph_launches");
    }

    /** Graph nodes recorded by stream captures so far. */
    public static long capturedNodes() {
        return longFn(driverLib, "fake_captured_nodes");
    }

    /** Driver calls refused because a capture was in progress (each invalidates the capture). */
    public static long captureErrors() {
        return longFn(driverLib, "fake_capture_errors");
    }

    /** The ABI version of the last cuGetProcAddress call. */
    public static int lastProcVersion() {
        try {
            return (int) fn(driverLib, "fake_last_proc_version", FunctionDescriptor.of(JAVA_INT)).invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** {gx, gy, gz, bx, by, bz, shared} of the last launch. */
    public static int[] lastLaunch() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT, 8);
            fn(driverLib, "fake_last_launch", FunctionDescriptor.ofVoid(ADDRESS)).invokeExact(out);
            return out.toArray(JAVA_INT);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** NVRTC compilations so far. */
    public static long nvrtcCompiles() {
        return longFn(nvrtcLib, "fake_nvrtc_compiles");
    }

    /** {transa, transb, m, n, k, lda, ldb, ldc, batch, compute} of the last GEMM. */
    public static int[] lastGemm() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT, 10);
            fn(cublasLib, "fake_cublas_last", FunctionDescriptor.ofVoid(ADDRESS)).invokeExact(out);
            return out.toArray(JAVA_INT);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
