package dev.tessera.kernels.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * NVRTC (run-time CUDA C compiler) through FFM, opened by soname ({@code libnvrtc.so.13} then
 * {@code .so.12} on a CUDA 13 driver, {@code .so.12} on a CUDA 12 driver; see
 * {@link NativeLibs#sonames}). Compiles a source with in-memory headers to a CUBIN for an exact
 * architecture (no driver JIT involved) or to PTX; a failed compilation throws with the log.
 */
public final class Nvrtc {
    private final NativeLibs.Loaded lib;
    private final MethodHandle version, getErrorString, createProgram, compileProgram, destroyProgram,
            getCubinSize, getCubin, getPtxSize, getPtx, getLogSize, getLog;

    private Nvrtc(NativeLibs.Loaded lib) {
        this.lib = lib;
        version = fn("nvrtcVersion", ADDRESS, ADDRESS);
        getErrorString = NativeLibs.LINKER.downcallHandle(lib.require("nvrtcGetErrorString"),
                FunctionDescriptor.of(ADDRESS, JAVA_INT));
        createProgram = fn("nvrtcCreateProgram", ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
        compileProgram = fn("nvrtcCompileProgram", ADDRESS, JAVA_INT, ADDRESS);
        destroyProgram = fn("nvrtcDestroyProgram", ADDRESS);
        getCubinSize = fn("nvrtcGetCUBINSize", ADDRESS, ADDRESS);
        getCubin = fn("nvrtcGetCUBIN", ADDRESS, ADDRESS);
        getPtxSize = fn("nvrtcGetPTXSize", ADDRESS, ADDRESS);
        getPtx = fn("nvrtcGetPTX", ADDRESS, ADDRESS);
        getLogSize = fn("nvrtcGetProgramLogSize", ADDRESS, ADDRESS);
        getLog = fn("nvrtcGetProgramLog", ADDRESS, ADDRESS);
    }

    private MethodHandle fn(String name, MemoryLayout... args) {
        return NativeLibs.LINKER.downcallHandle(lib.require(name), FunctionDescriptor.of(JAVA_INT, args));
    }

    /**
     * Opens NVRTC for a driver version: {@code -Dtessera.cuda.nvrtc} (a path) when set, else the
     * sonames of {@link NativeLibs#sonames} through the linker and {@link NativeLibs#searchDirs()}.
     */
    public static Optional<Nvrtc> open(int driverVersion) {
        String forced = System.getProperty("tessera.cuda.nvrtc");
        Optional<NativeLibs.Loaded> l = forced != null
                ? NativeLibs.open(forced)
                : NativeLibs.openFirst(NativeLibs.sonames("libnvrtc", driverVersion), NativeLibs.searchDirs());
        return l.map(Nvrtc::new);
    }

    /** The library that was opened. */
    public NativeLibs.Loaded library() {
        return lib;
    }

    /** {major, minor} of this NVRTC. */
    public int[] version() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ma = a.allocate(JAVA_INT), mi = a.allocate(JAVA_INT);
            check("nvrtcVersion", (int) version.invokeExact(ma, mi));
            return new int[] {ma.get(JAVA_INT, 0), mi.get(JAVA_INT, 0)};
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** What to produce. */
    public enum Output {
        /** Machine code for the exact architecture passed in the options. */
        CUBIN,
        /** PTX assembly, JIT-compiled by the driver at load time. */
        PTX
    }

    /**
     * Compiles {@code source} (named {@code name} in messages) with in-memory {@code headers}
     * (include name to text) and {@code options}; returns the CUBIN or the NUL-terminated PTX.
     */
    public byte[] compile(String source, String name, Map<String, String> headers, List<String> options, Output output) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment prog = a.allocate(ADDRESS);
            int nh = headers.size();
            MemorySegment hs = a.allocate(ADDRESS, Math.max(1, nh)), hn = a.allocate(ADDRESS, Math.max(1, nh));
            int i = 0;
            for (var e : headers.entrySet()) {
                hn.setAtIndex(ADDRESS, i, a.allocateFrom(e.getKey()));
                hs.setAtIndex(ADDRESS, i, a.allocateFrom(e.getValue()));
                i++;
            }
            MemorySegment hsArg = nh == 0 ? MemorySegment.NULL : hs, hnArg = nh == 0 ? MemorySegment.NULL : hn;
            check("nvrtcCreateProgram", (int) createProgram.invokeExact(prog, a.allocateFrom(source), a.allocateFrom(name),
                    nh, hsArg, hnArg));
            MemorySegment p = prog.get(ADDRESS, 0);
            try {
                MemorySegment opts = a.allocate(ADDRESS, Math.max(1, options.size()));
                for (int k = 0; k < options.size(); k++) opts.setAtIndex(ADDRESS, k, a.allocateFrom(options.get(k)));
                int rc = (int) compileProgram.invokeExact(p, options.size(), opts);
                if (rc != 0) {
                    throw new CudaException("nvrtcCompileProgram(" + name + ")", rc, CudaErrors.nvrtcName(rc),
                            errorString(rc), log(p, a));
                }
                MemorySegment size = a.allocate(JAVA_LONG);
                boolean cubin = output == Output.CUBIN;
                check(cubin ? "nvrtcGetCUBINSize" : "nvrtcGetPTXSize",
                        cubin ? (int) getCubinSize.invokeExact(p, size) : (int) getPtxSize.invokeExact(p, size));
                long n = size.get(JAVA_LONG, 0);
                MemorySegment buf = a.allocate(Math.max(1, n));
                check(cubin ? "nvrtcGetCUBIN" : "nvrtcGetPTX",
                        cubin ? (int) getCubin.invokeExact(p, buf) : (int) getPtx.invokeExact(p, buf));
                return buf.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            } finally {
                check("nvrtcDestroyProgram", (int) destroyProgram.invokeExact(prog));
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private String log(MemorySegment prog, Arena a) throws Throwable {
        MemorySegment size = a.allocate(JAVA_LONG);
        if ((int) getLogSize.invokeExact(prog, size) != 0) return "";
        long n = size.get(JAVA_LONG, 0);
        if (n <= 1) return "";
        MemorySegment buf = a.allocate(n);
        if ((int) getLog.invokeExact(prog, buf) != 0) return "";
        return buf.getString(0);
    }

    /** NVRTC's description of a status. */
    public String errorString(int rc) {
        try {
            MemorySegment s = (MemorySegment) getErrorString.invokeExact(rc);
            return s.equals(MemorySegment.NULL) ? "" : s.reinterpret(4096).getString(0);
        } catch (Throwable t) {
            return "";
        }
    }

    private void check(String call, int rc) {
        if (rc != 0) throw new CudaException(call, rc, CudaErrors.nvrtcName(rc), errorString(rc));
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}
