package dev.tessera.kernels.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The CUDA driver API through FFM. Exactly one symbol is looked up by name,
 * {@code cuGetProcAddress_v2}; every other entry point is fetched through it at ABI version
 * {@value #ABI} so that the driver hands out the function a CUDA 12.0 application would have
 * linked (e.g. {@code cuMemAlloc} resolves to the 64-bit {@code cuMemAlloc_v2}, never the legacy
 * 32-bit ABI) on 12.x and 13.x drivers alike. Every call's status is checked and a failure
 * becomes a {@link CudaException} naming the call and the CUDA error.
 *
 * <p>Handles are instance fields rather than static constants so that tests can load fake
 * drivers; the cost is a few nanoseconds per call against microseconds per kernel launch.
 */
public final class Driver {
    /** The driver ABI version every entry point is requested at (CUDA 12.0). */
    public static final int ABI = 12000;

    private static final FunctionDescriptor GET_PROC = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS);

    private final NativeLibs.Loaded lib;
    private final MethodHandle getProc;
    private final MethodHandle cuGetErrorName, cuGetErrorString;
    private final MethodHandle cuInit, cuDriverGetVersion, cuDeviceGetCount, cuDeviceGet, cuDeviceGetName,
            cuDeviceGetAttribute, cuDeviceTotalMem, cuDevicePrimaryCtxRetain, cuDevicePrimaryCtxRelease,
            cuCtxSetCurrent, cuCtxSynchronize, cuMemAlloc, cuMemFree, cuMemGetInfo, cuMemcpyHtoDAsync,
            cuMemcpyDtoHAsync, cuMemcpyDtoDAsync, cuMemsetD32Async, cuMemsetD8Async, cuMemHostAlloc,
            cuMemFreeHost, cuStreamCreate, cuStreamDestroy, cuStreamSynchronize, cuEventCreate, cuEventRecord,
            cuEventSynchronize, cuEventElapsedTime, cuEventDestroy, cuModuleLoadDataEx, cuModuleGetFunction,
            cuModuleUnload, cuFuncGetAttribute, cuFuncSetAttribute, cuLaunchKernel;
    private final MethodHandle cuStreamBeginCapture, cuStreamEndCapture, cuStreamIsCapturing, cuGraphGetNodes,
            cuGraphInstantiateWithFlags, cuGraphUpload, cuGraphLaunch, cuGraphExecDestroy, cuGraphDestroy;

    /** CUstreamCaptureMode values. */
    public static final int CAPTURE_MODE_GLOBAL = 0, CAPTURE_MODE_THREAD_LOCAL = 1, CAPTURE_MODE_RELAXED = 2;
    /** CUstreamCaptureStatus values. */
    public static final int CAPTURE_STATUS_NONE = 0, CAPTURE_STATUS_ACTIVE = 1, CAPTURE_STATUS_INVALIDATED = 2;

    private Driver(NativeLibs.Loaded lib) {
        this.lib = lib;
        MemorySegment gp = lib.find("cuGetProcAddress_v2").orElseThrow(() -> new UnsatisfiedLinkError(
                "cuGetProcAddress_v2 not found in " + lib.path() + ": the driver is older than CUDA 12.0 (R525); "
                        + "Tessera needs a CUDA 12 or 13 driver"));
        getProc = NativeLibs.LINKER.downcallHandle(gp, GET_PROC);
        cuGetErrorName = fn("cuGetErrorName", JAVA_INT, ADDRESS);
        cuGetErrorString = fn("cuGetErrorString", JAVA_INT, ADDRESS);
        cuInit = fn("cuInit", JAVA_INT);
        cuDriverGetVersion = fn("cuDriverGetVersion", ADDRESS);
        cuDeviceGetCount = fn("cuDeviceGetCount", ADDRESS);
        cuDeviceGet = fn("cuDeviceGet", ADDRESS, JAVA_INT);
        cuDeviceGetName = fn("cuDeviceGetName", ADDRESS, JAVA_INT, JAVA_INT);
        cuDeviceGetAttribute = fn("cuDeviceGetAttribute", ADDRESS, JAVA_INT, JAVA_INT);
        cuDeviceTotalMem = fn("cuDeviceTotalMem", ADDRESS, JAVA_INT);
        cuDevicePrimaryCtxRetain = fn("cuDevicePrimaryCtxRetain", ADDRESS, JAVA_INT);
        cuDevicePrimaryCtxRelease = fn("cuDevicePrimaryCtxRelease", JAVA_INT);
        cuCtxSetCurrent = fn("cuCtxSetCurrent", ADDRESS);
        cuCtxSynchronize = fn("cuCtxSynchronize");
        cuMemAlloc = fn("cuMemAlloc", ADDRESS, JAVA_LONG);
        cuMemFree = fn("cuMemFree", JAVA_LONG);
        cuMemGetInfo = fn("cuMemGetInfo", ADDRESS, ADDRESS);
        cuMemcpyHtoDAsync = fn("cuMemcpyHtoDAsync", JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS);
        cuMemcpyDtoHAsync = fn("cuMemcpyDtoHAsync", ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS);
        cuMemcpyDtoDAsync = fn("cuMemcpyDtoDAsync", JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS);
        cuMemsetD32Async = fn("cuMemsetD32Async", JAVA_LONG, JAVA_INT, JAVA_LONG, ADDRESS);
        cuMemsetD8Async = fn("cuMemsetD8Async", JAVA_LONG, JAVA_BYTE, JAVA_LONG, ADDRESS);
        cuMemHostAlloc = fn("cuMemHostAlloc", ADDRESS, JAVA_LONG, JAVA_INT);
        cuMemFreeHost = fn("cuMemFreeHost", ADDRESS);
        cuStreamCreate = fn("cuStreamCreate", ADDRESS, JAVA_INT);
        cuStreamDestroy = fn("cuStreamDestroy", ADDRESS);
        cuStreamSynchronize = fn("cuStreamSynchronize", ADDRESS);
        cuEventCreate = fn("cuEventCreate", ADDRESS, JAVA_INT);
        cuEventRecord = fn("cuEventRecord", ADDRESS, ADDRESS);
        cuEventSynchronize = fn("cuEventSynchronize", ADDRESS);
        cuEventElapsedTime = fn("cuEventElapsedTime", ADDRESS, ADDRESS, ADDRESS);
        cuEventDestroy = fn("cuEventDestroy", ADDRESS);
        cuModuleLoadDataEx = fn("cuModuleLoadDataEx", ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
        cuModuleGetFunction = fn("cuModuleGetFunction", ADDRESS, ADDRESS, ADDRESS);
        cuModuleUnload = fn("cuModuleUnload", ADDRESS);
        cuFuncGetAttribute = fn("cuFuncGetAttribute", ADDRESS, JAVA_INT, ADDRESS);
        cuFuncSetAttribute = fn("cuFuncSetAttribute", ADDRESS, JAVA_INT, JAVA_INT);
        cuLaunchKernel = fn("cuLaunchKernel", ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
        // stream capture and graphs: at ABI 12000 "cuStreamBeginCapture" is the 10.1 ABI that takes a
        // capture mode (cuStreamBeginCapture_v2); cuGraphInstantiateWithFlags (11.4) is the stable name
        cuStreamBeginCapture = fn("cuStreamBeginCapture", ADDRESS, JAVA_INT);
        cuStreamEndCapture = fn("cuStreamEndCapture", ADDRESS, ADDRESS);
        cuStreamIsCapturing = fn("cuStreamIsCapturing", ADDRESS, ADDRESS);
        cuGraphGetNodes = fn("cuGraphGetNodes", ADDRESS, ADDRESS, ADDRESS);
        cuGraphInstantiateWithFlags = fn("cuGraphInstantiateWithFlags", ADDRESS, ADDRESS, JAVA_LONG);
        cuGraphUpload = fn("cuGraphUpload", ADDRESS, ADDRESS);
        cuGraphLaunch = fn("cuGraphLaunch", ADDRESS, ADDRESS);
        cuGraphExecDestroy = fn("cuGraphExecDestroy", ADDRESS);
        cuGraphDestroy = fn("cuGraphDestroy", ADDRESS);
    }

    /**
     * Loads the driver from {@code -Dtessera.cuda.driver} (a path, for tests with a fake driver) or
     * {@code libcuda.so.1}. Throws {@link UnsatisfiedLinkError} naming what is missing.
     */
    public static Driver load() {
        return load(System.getProperty("tessera.cuda.driver", "libcuda.so.1"));
    }

    /** Loads the driver from a soname or path. */
    public static Driver load(String nameOrPath) {
        NativeLibs.Loaded lib = NativeLibs.open(nameOrPath).orElseThrow(() -> new UnsatisfiedLinkError(
                "cannot open the CUDA driver " + nameOrPath + " (no NVIDIA driver installed, or not on the library path)"));
        return new Driver(lib);
    }

    /** The driver library that was opened. */
    public NativeLibs.Loaded library() {
        return lib;
    }

    /**
     * The address of driver entry point {@code base} at ABI {@code version} through
     * {@code cuGetProcAddress_v2}, or {@code MemorySegment.NULL} when the driver does not have it.
     */
    public MemorySegment procAddress(String base, int version) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pfn = a.allocate(ADDRESS), status = a.allocate(JAVA_INT);
            int rc = (int) getProc.invokeExact(a.allocateFrom(base), pfn, version, 0L, status);
            MemorySegment addr = pfn.get(ADDRESS, 0);
            // status 0 = CU_GET_PROC_ADDRESS_SUCCESS
            if (rc != 0 || status.get(JAVA_INT, 0) != 0) return MemorySegment.NULL;
            return addr;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private MethodHandle fn(String base, java.lang.foreign.MemoryLayout... args) {
        MemorySegment addr = procAddress(base, ABI);
        if (addr.equals(MemorySegment.NULL)) {
            throw new UnsatisfiedLinkError("cuGetProcAddress(\"" + base + "\", " + ABI + ") found nothing in " + lib.path());
        }
        return NativeLibs.LINKER.downcallHandle(addr, FunctionDescriptor.of(JAVA_INT, args));
    }

    // ------------------------------------------------------------------ errors

    /** The symbolic name of a CUresult (e.g. CUDA_ERROR_OUT_OF_MEMORY). */
    public String errorName(int rc) {
        return errorText(cuGetErrorName, rc, CudaErrors.name(rc));
    }

    /** The driver's description of a CUresult. */
    public String errorString(int rc) {
        return errorText(cuGetErrorString, rc, "");
    }

    private static String errorText(MethodHandle h, int rc, String fallback) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            int r = (int) h.invokeExact(rc, p);
            MemorySegment s = p.get(ADDRESS, 0);
            if (r != 0 || s.equals(MemorySegment.NULL)) return fallback;
            return s.reinterpret(4096).getString(0);
        } catch (Throwable t) {
            return fallback;
        }
    }

    /** Throws a {@link CudaException} naming {@code call} unless {@code rc} is CUDA_SUCCESS. */
    public void check(String call, int rc) {
        if (rc != 0) throw new CudaException(call, rc, errorName(rc), errorString(rc));
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    // ------------------------------------------------------------------ initialisation and devices

    /** cuInit(0). */
    public void init() {
        try {
            check("cuInit", (int) cuInit.invokeExact(0));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuDriverGetVersion: e.g. 12040 for CUDA 12.4, 13000 for 13.0. */
    public int driverVersion() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check("cuDriverGetVersion", (int) cuDriverGetVersion.invokeExact(v));
            return v.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuDeviceGetCount. */
    public int deviceCount() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check("cuDeviceGetCount", (int) cuDeviceGetCount.invokeExact(v));
            return v.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuDeviceGet: the device handle of ordinal {@code i}. */
    public int device(int ordinal) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check("cuDeviceGet", (int) cuDeviceGet.invokeExact(v, ordinal));
            return v.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuDeviceGetName. */
    public String deviceName(int dev) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(256);
            check("cuDeviceGetName", (int) cuDeviceGetName.invokeExact(buf, 256, dev));
            return buf.getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuDeviceGetAttribute. */
    public int attribute(int attr, int dev) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check("cuDeviceGetAttribute", (int) cuDeviceGetAttribute.invokeExact(v, attr, dev));
            return v.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuDeviceTotalMem (the 64-bit ABI). */
    public long totalMem(int dev) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_LONG);
            check("cuDeviceTotalMem", (int) cuDeviceTotalMem.invokeExact(v, dev));
            return v.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuDevicePrimaryCtxRetain: the primary context (shared with cuBLAS and the runtime API). */
    public MemorySegment primaryCtxRetain(int dev) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ADDRESS);
            check("cuDevicePrimaryCtxRetain", (int) cuDevicePrimaryCtxRetain.invokeExact(v, dev));
            return v.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuDevicePrimaryCtxRelease. */
    public void primaryCtxRelease(int dev) {
        try {
            check("cuDevicePrimaryCtxRelease", (int) cuDevicePrimaryCtxRelease.invokeExact(dev));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuCtxSetCurrent. */
    public void ctxSetCurrent(MemorySegment ctx) {
        try {
            check("cuCtxSetCurrent", (int) cuCtxSetCurrent.invokeExact(ctx));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuCtxSynchronize. */
    public void ctxSynchronize() {
        try {
            check("cuCtxSynchronize", (int) cuCtxSynchronize.invokeExact());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ------------------------------------------------------------------ memory

    /** cuMemAlloc (64-bit sizes): a device pointer. */
    public long memAlloc(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_LONG);
            check("cuMemAlloc", (int) cuMemAlloc.invokeExact(v, bytes));
            return v.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuMemAlloc without throwing: the pointer, or 0 on failure (the status goes to {@code rcOut[0]}). */
    public long tryMemAlloc(long bytes, int[] rcOut) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_LONG);
            int rc = (int) cuMemAlloc.invokeExact(v, bytes);
            rcOut[0] = rc;
            return rc == 0 ? v.get(JAVA_LONG, 0) : 0L;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuMemFree. */
    public void memFree(long ptr) {
        try {
            check("cuMemFree", (int) cuMemFree.invokeExact(ptr));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuMemGetInfo: {free, total} bytes. */
    public long[] memGetInfo() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(JAVA_LONG), t = a.allocate(JAVA_LONG);
            check("cuMemGetInfo", (int) cuMemGetInfo.invokeExact(f, t));
            return new long[] {f.get(JAVA_LONG, 0), t.get(JAVA_LONG, 0)};
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuMemcpyHtoDAsync. */
    public void memcpyHtoDAsync(long dst, MemorySegment src, long bytes, MemorySegment stream) {
        try {
            check("cuMemcpyHtoDAsync", (int) cuMemcpyHtoDAsync.invokeExact(dst, src, bytes, stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuMemcpyDtoHAsync. */
    public void memcpyDtoHAsync(MemorySegment dst, long src, long bytes, MemorySegment stream) {
        try {
            check("cuMemcpyDtoHAsync", (int) cuMemcpyDtoHAsync.invokeExact(dst, src, bytes, stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuMemcpyDtoDAsync. */
    public void memcpyDtoDAsync(long dst, long src, long bytes, MemorySegment stream) {
        try {
            check("cuMemcpyDtoDAsync", (int) cuMemcpyDtoDAsync.invokeExact(dst, src, bytes, stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuMemsetD32Async: {@code count} 32-bit words set to {@code value}. */
    public void memsetD32Async(long dst, int value, long count, MemorySegment stream) {
        try {
            check("cuMemsetD32Async", (int) cuMemsetD32Async.invokeExact(dst, value, count, stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuMemsetD8Async. */
    public void memsetD8Async(long dst, byte value, long count, MemorySegment stream) {
        try {
            check("cuMemsetD8Async", (int) cuMemsetD8Async.invokeExact(dst, value, count, stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuMemHostAlloc: pinned host memory of {@code bytes}, as a segment of that size. */
    public MemorySegment memHostAlloc(long bytes, int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ADDRESS);
            check("cuMemHostAlloc", (int) cuMemHostAlloc.invokeExact(v, bytes, flags));
            return v.get(ADDRESS, 0).reinterpret(bytes);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuMemFreeHost. */
    public void memFreeHost(MemorySegment p) {
        try {
            check("cuMemFreeHost", (int) cuMemFreeHost.invokeExact(p));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ------------------------------------------------------------------ streams and events

    /** cuStreamCreate. */
    public MemorySegment streamCreate(int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ADDRESS);
            check("cuStreamCreate", (int) cuStreamCreate.invokeExact(v, flags));
            return v.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuStreamDestroy. */
    public void streamDestroy(MemorySegment s) {
        try {
            check("cuStreamDestroy", (int) cuStreamDestroy.invokeExact(s));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuStreamSynchronize. */
    public void streamSynchronize(MemorySegment s) {
        try {
            check("cuStreamSynchronize", (int) cuStreamSynchronize.invokeExact(s));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuEventCreate. */
    public MemorySegment eventCreate(int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ADDRESS);
            check("cuEventCreate", (int) cuEventCreate.invokeExact(v, flags));
            return v.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuEventRecord. */
    public void eventRecord(MemorySegment ev, MemorySegment stream) {
        try {
            check("cuEventRecord", (int) cuEventRecord.invokeExact(ev, stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuEventSynchronize. */
    public void eventSynchronize(MemorySegment ev) {
        try {
            check("cuEventSynchronize", (int) cuEventSynchronize.invokeExact(ev));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuEventElapsedTime (the 2.0 ABI, present on every 12.x driver): milliseconds. */
    public float eventElapsedTime(MemorySegment start, MemorySegment end) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_FLOAT);
            check("cuEventElapsedTime", (int) cuEventElapsedTime.invokeExact(v, start, end));
            return v.get(JAVA_FLOAT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuEventDestroy. */
    public void eventDestroy(MemorySegment ev) {
        try {
            check("cuEventDestroy", (int) cuEventDestroy.invokeExact(ev));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ------------------------------------------------------------------ modules and launches

    /**
     * cuModuleLoadDataEx of a CUBIN or NUL-terminated PTX image; a failure carries the JIT's
     * error log.
     */
    public MemorySegment moduleLoadData(MemorySegment image) {
        try (Arena a = Arena.ofConfined()) {
            int logSize = 16384;
            MemorySegment log = a.allocate(logSize);
            MemorySegment opts = a.allocate(JAVA_INT, 2);
            opts.setAtIndex(JAVA_INT, 0, 5); // CU_JIT_ERROR_LOG_BUFFER
            opts.setAtIndex(JAVA_INT, 1, 6); // CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES
            MemorySegment vals = a.allocate(ADDRESS, 2);
            vals.setAtIndex(ADDRESS, 0, log);
            vals.setAtIndex(ADDRESS, 1, MemorySegment.ofAddress(logSize));
            MemorySegment mod = a.allocate(ADDRESS);
            int rc = (int) cuModuleLoadDataEx.invokeExact(mod, image, 2, opts, vals);
            if (rc != 0) {
                throw new CudaException("cuModuleLoadDataEx", rc, errorName(rc), errorString(rc), log.getString(0));
            }
            return mod.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuModuleGetFunction. */
    public MemorySegment moduleGetFunction(MemorySegment module, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ADDRESS);
            int rc = (int) cuModuleGetFunction.invokeExact(v, module, a.allocateFrom(name));
            if (rc != 0) throw new CudaException("cuModuleGetFunction(\"" + name + "\")", rc, errorName(rc), errorString(rc));
            return v.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuModuleUnload. */
    public void moduleUnload(MemorySegment module) {
        try {
            check("cuModuleUnload", (int) cuModuleUnload.invokeExact(module));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuFuncGetAttribute (e.g. 4 = registers per thread, 3 = local bytes). */
    public int funcAttribute(int attr, MemorySegment func) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check("cuFuncGetAttribute", (int) cuFuncGetAttribute.invokeExact(v, attr, func));
            return v.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuFuncSetAttribute. */
    public void funcSetAttribute(MemorySegment func, int attr, int value) {
        try {
            check("cuFuncSetAttribute", (int) cuFuncSetAttribute.invokeExact(func, attr, value));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuLaunchKernel with a {@code void*[]} of argument pointers (see {@link KernelArgs}). */
    public void launchKernel(MemorySegment f, int gx, int gy, int gz, int bx, int by, int bz, int sharedBytes,
                             MemorySegment stream, MemorySegment params) {
        try {
            int rc = (int) cuLaunchKernel.invokeExact(f, gx, gy, gz, bx, by, bz, sharedBytes, stream, params,
                    MemorySegment.NULL);
            check("cuLaunchKernel", rc);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ------------------------------------------------------------------ stream capture and graphs

    /** cuStreamBeginCapture (the ABI with a capture mode, {@link #CAPTURE_MODE_THREAD_LOCAL} etc.). */
    public void streamBeginCapture(MemorySegment stream, int mode) {
        try {
            check("cuStreamBeginCapture", (int) cuStreamBeginCapture.invokeExact(stream, mode));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * cuStreamEndCapture: the captured graph. A capture invalidated by a forbidden call (a
     * synchronisation, an allocation) fails with CUDA_ERROR_STREAM_CAPTURE_INVALIDATED.
     */
    public MemorySegment streamEndCapture(MemorySegment stream) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment g = a.allocate(ADDRESS);
            check("cuStreamEndCapture", (int) cuStreamEndCapture.invokeExact(stream, g));
            return g.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuStreamIsCapturing: {@link #CAPTURE_STATUS_NONE}, {@link #CAPTURE_STATUS_ACTIVE} or {@link #CAPTURE_STATUS_INVALIDATED}. */
    public int streamCaptureStatus(MemorySegment stream) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check("cuStreamIsCapturing", (int) cuStreamIsCapturing.invokeExact(stream, v));
            return v.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Number of nodes of a graph (cuGraphGetNodes with a null array). */
    public long graphNodeCount(MemorySegment graph) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_LONG);
            check("cuGraphGetNodes", (int) cuGraphGetNodes.invokeExact(graph, MemorySegment.NULL, n));
            return n.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuGraphInstantiateWithFlags (flags 0): an executable graph. */
    public MemorySegment graphInstantiate(MemorySegment graph) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment e = a.allocate(ADDRESS);
            check("cuGraphInstantiateWithFlags", (int) cuGraphInstantiateWithFlags.invokeExact(e, graph, 0L));
            return e.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuGraphUpload: prepares an executable graph's resources on the stream ahead of its first launch. */
    public void graphUpload(MemorySegment exec, MemorySegment stream) {
        try {
            check("cuGraphUpload", (int) cuGraphUpload.invokeExact(exec, stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuGraphLaunch: queues one replay of an executable graph on the stream. */
    public void graphLaunch(MemorySegment exec, MemorySegment stream) {
        try {
            check("cuGraphLaunch", (int) cuGraphLaunch.invokeExact(exec, stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuGraphExecDestroy. */
    public void graphExecDestroy(MemorySegment exec) {
        try {
            check("cuGraphExecDestroy", (int) cuGraphExecDestroy.invokeExact(exec));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** cuGraphDestroy. */
    public void graphDestroy(MemorySegment graph) {
        try {
            check("cuGraphDestroy", (int) cuGraphDestroy.invokeExact(graph));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
