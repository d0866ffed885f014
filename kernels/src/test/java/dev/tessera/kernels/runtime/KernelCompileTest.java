package dev.tessera.kernels.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.kernels.FakeCuda;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The CI gate for the CUDA C sources (GPU.md §6): NVRTC-compatibility lint (always), and, when nvcc
 * is on the PATH, every source compiled to compute_80 PTX and to CUBINs for sm_80 and sm_90 with
 * ptxas resource usage checked: no spills anywhere, stack frames only in kernels calling the
 * trigonometric functions (whose slow argument reduction uses local memory), registers within a
 * budget. The register report is printed and written to the build folder.
 */
class KernelCompileTest {
    static final Path SRC = Path.of(System.getProperty("tessera.test.cudaSources", "src/main/resources/dev/tessera/kernels/cuda"));
    static final Path OUT = Path.of(System.getProperty("tessera.test.buildDir", "target")).resolve("kernel-check");
    /** Registers per thread allowed for any kernel (all launch with at most 256 threads, 1024 for the shared-memory sort). */
    static final int REGISTER_BUDGET = 64;
    /**
     * Register-tiled kernels (attention's tensor-core fragments and 4x4 micro-tiles) hold their
     * tiles in registers by design and may use the whole file (255), as FlashAttention does; they
     * still must not spill.
     */
    static final Set<String> REGISTER_TILED_PREFIXES = Set.of("attn_");

    static int registerBudget(String kernel) {
        for (String p : REGISTER_TILED_PREFIXES) if (kernel.startsWith(p)) return 255;
        return REGISTER_BUDGET;
    }
    /** Kernels allowed a stack frame: they call sin/cos, whose Payne-Hanek reduction uses local memory. */
    static final Set<String> STACK_ALLOWED = Set.of("ew_unary", "ew_unary_f32", "ew_binary_scalar_f32",
            "rand_normal_f32", "rand_normal_f64");
    static final Pattern ENTRY = Pattern.compile("extern \"C\" __global__ void (?:__launch_bounds__\\([^)]*\\) )?(\\w+)\\(");

    static List<Path> sources() throws IOException {
        try (Stream<Path> s = Files.list(SRC)) {
            return s.filter(p -> p.toString().endsWith(".cu")).sorted().toList();
        }
    }

    static Set<String> entryPoints() throws IOException {
        Set<String> names = new TreeSet<>();
        for (Path p : sources()) {
            Matcher m = ENTRY.matcher(Files.readString(p));
            while (m.find()) names.add(m.group(1));
        }
        return names;
    }

    @Test
    void sourcesFollowTheNvrtcRules() throws IOException {
        List<String> names = new ArrayList<>();
        for (Path p : sources()) names.add(p.getFileName().toString().replace(".cu", ""));
        assertEquals(new TreeSet<>(KernelSources.MODULES), new TreeSet<>(names), "KernelSources.MODULES must list every .cu file");
        List<Path> all = new ArrayList<>(sources());
        all.add(SRC.resolve(KernelSources.HEADER));
        for (Path p : all) {
            String text = Files.readString(p);
            String code = text.replaceAll("//[^\n]*", "");
            for (String line : code.split("\n")) {
                String t = line.strip();
                if (t.startsWith("#include")) {
                    assertEquals("#include \"common.cuh\"", t, p + ": only the shared header may be included (NVRTC has no toolkit headers)");
                }
                for (String banned : List.of("INFINITY", "FLT_MAX", "DBL_MAX", "printf", "std::", "assert(")) {
                    assertTrue(!t.contains(banned), p + ": '" + banned + "' is unavailable under NVRTC: " + t);
                }
                if (t.contains("__global__")) {
                    assertTrue(t.startsWith("extern \"C\" __global__"), p + ": entry points must be extern \"C\": " + t);
                }
            }
        }
        assertTrue(entryPoints().size() > 40, "expected the full kernel set, found " + entryPoints());
    }

    @Test
    void everyKernelCompilesForSm80AndSm90WithinResourceBudgets() throws Exception {
        Assumptions.assumeTrue(FakeCuda.which("nvcc").isPresent(), "nvcc not found: kernel compile checks skipped");
        Files.createDirectories(OUT);
        Set<String> entries = entryPoints();
        // one nvcc per (source, mode), side by side; unchanged sources reuse the last result
        Map<String, String> logs = compileAll(List.of(
                Map.entry("ptx", List.of("-ptx", "-arch=compute_80")),
                Map.entry("sm_80", List.of("-cubin", "-arch=sm_80", "-Xptxas", "-v")),
                Map.entry("sm_90", List.of("-cubin", "-arch=sm_90", "-Xptxas", "-v"))));
        String ptxLog = logs.get("ptx"), log80 = logs.get("sm_80"), log90 = logs.get("sm_90");
        assertTrue(ptxLog.isBlank() || !ptxLog.contains("error"), ptxLog);
        StringBuilder ptxText = new StringBuilder();
        for (Path p : sources()) {
            ptxText.append(Files.readString(OUT.resolve("ptx").resolve(p.getFileName().toString().replace(".cu", ".ptx"))));
        }
        for (String e : entries) assertTrue(ptxText.toString().contains(".entry " + e + "("), "PTX lacks entry " + e);

        StringBuilder report = new StringBuilder(String.format("%-24s %6s %6s %6s %6s%n", "kernel", "arch", "regs", "stack", "spill"));
        List<String> problems = new ArrayList<>();
        for (var log : logs.entrySet()) {
            for (String line : log.getValue().split("\n")) {
                if (line.contains("warning")) problems.add("nvcc " + log.getKey() + ": " + line.strip());
            }
        }
        for (var arch : List.of(Map.entry("sm_80", log80), Map.entry("sm_90", log90))) {
            Map<String, int[]> usage = parse(arch.getValue());
            assertEquals(entries, new TreeSet<>(usage.keySet()), arch.getKey() + ": ptxas must report every entry point");
            for (var e : usage.entrySet()) {
                int[] u = e.getValue(); // regs, stack, spill stores, spill loads
                report.append(String.format("%-24s %6s %6d %6d %6d%n", e.getKey(), arch.getKey(), u[0], u[1], u[2] + u[3]));
                if (u[2] + u[3] > 0) problems.add(e.getKey() + " spills " + (u[2] + u[3]) + " bytes on " + arch.getKey());
                if (u[1] > 0 && !STACK_ALLOWED.contains(e.getKey())) {
                    problems.add(e.getKey() + " uses a " + u[1] + "-byte stack frame on " + arch.getKey());
                }
                if (u[0] > registerBudget(e.getKey())) problems.add(e.getKey() + " uses " + u[0] + " registers on " + arch.getKey());
            }
        }
        Files.writeString(OUT.resolve("register-report.txt"), report);
        System.out.println("[kernel register report]\n" + report);
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    /**
     * Compiles every source in every mode ({@code name -> nvcc flags}) and returns each mode's
     * concatenated log. Results are kept in the build folder under a hash of the source, the shared
     * header, the flags and the nvcc version, so an unchanged source is not compiled again; misses
     * run in parallel, as many at a time as there are processors.
     */
    private static Map<String, String> compileAll(List<Map.Entry<String, List<String>>> modes) throws Exception {
        String header = Files.readString(SRC.resolve(KernelSources.HEADER));
        String version = run(List.of("nvcc", "--version"));
        record Job(String mode, Path source, Path odir, Path logFile, Path keyFile, String key, List<String> cmd) {}
        List<Job> jobs = new ArrayList<>();
        for (var mode : modes) {
            Path odir = OUT.resolve(mode.getKey());
            Files.createDirectories(odir);
            for (Path p : sources()) {
                String base = p.getFileName().toString().replace(".cu", "");
                String key = KernelCache.key(Files.readString(p), header, mode.getValue(), version, mode.getKey());
                List<String> cmd = new ArrayList<>(List.of("nvcc", "-std=c++17", "-I", SRC.toString(), "-odir", odir.toString()));
                cmd.addAll(mode.getValue());
                cmd.add(p.toString());
                jobs.add(new Job(mode.getKey(), p, odir, odir.resolve(base + ".log"), odir.resolve(base + ".key"), key, cmd));
            }
        }
        var pool = java.util.concurrent.Executors.newFixedThreadPool(Math.max(1, Runtime.getRuntime().availableProcessors()));
        try {
            List<java.util.concurrent.Future<?>> pending = new ArrayList<>();
            for (Job j : jobs) {
                boolean hit = Files.exists(j.keyFile) && Files.readString(j.keyFile).equals(j.key) && Files.exists(j.logFile);
                if (hit) continue;
                pending.add(pool.submit(() -> {
                    Files.deleteIfExists(j.keyFile);
                    Files.writeString(j.logFile, run(j.cmd));
                    Files.writeString(j.keyFile, j.key);
                    return null;
                }));
            }
            for (var f : pending) {
                try {
                    f.get(600, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    throw e.getCause() instanceof Exception ex ? ex : e;
                }
            }
        } finally {
            pool.shutdownNow();
        }
        Map<String, String> logs = new LinkedHashMap<>();
        for (Job j : jobs) logs.merge(j.mode, Files.readString(j.logFile), String::concat);
        return logs;
    }

    private static String run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(600, TimeUnit.SECONDS), String.join(" ", cmd) + " timed out");
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed:\n" + out);
        return out;
    }

    /** kernel -> {registers, stack bytes, spill store bytes, spill load bytes} from ptxas -v output. */
    static Map<String, int[]> parse(String log) {
        Map<String, int[]> r = new LinkedHashMap<>();
        Pattern fn = Pattern.compile("Compiling entry function '(\\w+)'");
        Pattern stack = Pattern.compile("(\\d+) bytes stack frame, (\\d+) bytes spill stores, (\\d+) bytes spill loads");
        Pattern regs = Pattern.compile("Used (\\d+) registers");
        String current = null;
        for (String line : log.split("\n")) {
            Matcher m = fn.matcher(line);
            if (m.find()) {
                current = m.group(1);
                r.put(current, new int[4]);
                continue;
            }
            if (current == null) continue;
            m = stack.matcher(line);
            if (m.find()) {
                int[] u = r.get(current);
                u[1] = Math.max(u[1], Integer.parseInt(m.group(1)));
                u[2] = Math.max(u[2], Integer.parseInt(m.group(2)));
                u[3] = Math.max(u[3], Integer.parseInt(m.group(3)));
            }
            m = regs.matcher(line);
            if (m.find()) r.get(current)[0] = Integer.parseInt(m.group(1));
        }
        return r;
    }
}
