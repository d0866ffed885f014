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
    /** Kernels allowed a stack frame: they call sin/cos, whose Payne-Hanek reduction uses local memory. */
    static final Set<String> STACK_ALLOWED = Set.of("ew_unary", "ew_unary_f32", "ew_binary_scalar_f32",
            "rand_normal_f32", "rand_normal_f64");
    static final Pattern ENTRY = Pattern.compile("extern \"C\" __global__ void (\\w+)\\(");

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
        // the three compilations run side by side
        Process ptx = nvcc(List.of("-ptx", "-arch=compute_80"), OUT.resolve("ptx"));
        Process sm80 = nvcc(List.of("-cubin", "-arch=sm_80", "-Xptxas", "-v"), OUT.resolve("sm_80"));
        Process sm90 = nvcc(List.of("-cubin", "-arch=sm_90", "-Xptxas", "-v"), OUT.resolve("sm_90"));
        String ptxLog = finish(ptx), log80 = finish(sm80), log90 = finish(sm90);
        assertTrue(ptxLog.isBlank() || !ptxLog.contains("error"), ptxLog);
        StringBuilder ptxText = new StringBuilder();
        for (Path p : sources()) {
            ptxText.append(Files.readString(OUT.resolve("ptx").resolve(p.getFileName().toString().replace(".cu", ".ptx"))));
        }
        for (String e : entries) assertTrue(ptxText.toString().contains(".entry " + e + "("), "PTX lacks entry " + e);

        StringBuilder report = new StringBuilder(String.format("%-24s %6s %6s %6s %6s%n", "kernel", "arch", "regs", "stack", "spill"));
        List<String> problems = new ArrayList<>();
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
                if (u[0] > REGISTER_BUDGET) problems.add(e.getKey() + " uses " + u[0] + " registers on " + arch.getKey());
            }
        }
        Files.writeString(OUT.resolve("register-report.txt"), report);
        System.out.println("[kernel register report]\n" + report);
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    private static Process nvcc(List<String> mode, Path odir) throws IOException {
        Files.createDirectories(odir);
        List<String> cmd = new ArrayList<>(List.of("nvcc", "-std=c++17", "-I", SRC.toString(), "-odir", odir.toString()));
        cmd.addAll(mode);
        for (Path p : sources()) cmd.add(p.toString());
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    private static String finish(Process p) throws Exception {
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "nvcc timed out");
        assertEquals(0, p.exitValue(), "nvcc failed:\n" + out);
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
