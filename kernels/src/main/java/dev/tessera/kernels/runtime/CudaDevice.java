package dev.tessera.kernels.runtime;

import dev.tessera.kernels.cuda.Cublas;
import dev.tessera.kernels.cuda.Driver;
import dev.tessera.kernels.cuda.KernelArgs;
import dev.tessera.kernels.memory.CachingAllocator;
import dev.tessera.kernels.memory.DeviceBlock;
import dev.tessera.kernels.memory.MemoryStats;
import dev.tessera.kernels.memory.RawMemory;
import java.lang.foreign.MemorySegment;

/**
 * One GPU: its primary context (the one cuBLAS and the runtime API also use), one non-blocking
 * stream on which all of Tessera's work for the device is ordered, the caching allocator, pinned
 * staging buffers, the cuBLAS handle and the kernel modules.
 *
 * <p>Any thread may use the device: each call first makes the context current on the calling
 * thread (once per thread). Work is asynchronous; reading data back ({@link #toHost}) or
 * {@link #synchronize()} waits for it.
 */
public final class CudaDevice {
    private static final int ATTR_CC_MAJOR = 75, ATTR_CC_MINOR = 76, ATTR_SMS = 16, ATTR_SMEM_OPTIN = 97;
    /** CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES. */
    private static final int FUNC_MAX_DYNAMIC_SHARED = 8;
    /** Dynamic shared memory every kernel may use without opting in. */
    public static final int DEFAULT_SHARED_BYTES = 48 * 1024;
    private static final ThreadLocal<CudaDevice> CURRENT = new ThreadLocal<>();

    private final CudaRuntime runtime;
    private final Driver driver;
    private final int ordinal;
    private final MemorySegment ctx;
    private final String name;
    private final int major, minor, sms, sharedOptIn;
    private final java.util.Map<String, Integer> sharedOptedIn = new java.util.concurrent.ConcurrentHashMap<>();
    private final long totalMemory;
    private final MemorySegment stream;
    private final CachingAllocator allocator;
    private final HostStaging staging;
    private final KernelModules modules;
    private volatile Cublas.Handle blas;
    private volatile boolean poison = Boolean.getBoolean("tessera.cuda.poison");
    private volatile boolean capturing;
    private DeviceBlock blasWorkspace;

    CudaDevice(CudaRuntime runtime, int ordinal) {
        this.runtime = runtime;
        this.driver = runtime.driver();
        this.ordinal = ordinal;
        int dev = driver.device(ordinal);
        this.ctx = driver.primaryCtxRetain(dev);
        driver.ctxSetCurrent(ctx);
        CURRENT.set(this);
        this.name = driver.deviceName(dev);
        this.major = driver.attribute(ATTR_CC_MAJOR, dev);
        this.minor = driver.attribute(ATTR_CC_MINOR, dev);
        this.sms = driver.attribute(ATTR_SMS, dev);
        this.sharedOptIn = driver.attribute(ATTR_SMEM_OPTIN, dev);
        this.totalMemory = driver.totalMem(dev);
        this.stream = driver.streamCreate(1); // CU_STREAM_NON_BLOCKING: never serialised with the legacy stream
        this.allocator = new CachingAllocator(new RawMemory() {
            private final int[] rc = new int[1];

            @Override
            public synchronized long tryAllocate(long bytes) {
                makeCurrent();
                long p = driver.tryMemAlloc(bytes, rc);
                if (p == 0 && rc[0] != 2) driver.check("cuMemAlloc", rc[0]);
                return p;
            }

            @Override
            public void free(long ptr) {
                makeCurrent();
                driver.memFree(ptr);
            }
        });
        this.staging = new HostStaging(driver, stream);
        this.modules = new KernelModules(this);
    }

    /** Makes this device's context current on the calling thread. */
    public void makeCurrent() {
        if (CURRENT.get() != this) {
            driver.ctxSetCurrent(ctx);
            CURRENT.set(this);
        }
    }

    /** The runtime this device belongs to. */
    public CudaRuntime runtime() {
        return runtime;
    }

    /** Device ordinal. */
    public int ordinal() {
        return ordinal;
    }

    /** The device's name, e.g. "NVIDIA H100 80GB HBM3". */
    public String name() {
        return name;
    }

    /** Compute capability major. */
    public int computeMajor() {
        return major;
    }

    /** Compute capability minor. */
    public int computeMinor() {
        return minor;
    }

    /** Number of streaming multiprocessors. */
    public int multiprocessors() {
        return sms;
    }

    /**
     * The most dynamic shared memory one block may opt into (227 KiB on sm_90, 163 KiB on sm_80), or
     * 0 when the driver does not say.
     */
    public int sharedOptIn() {
        return sharedOptIn;
    }

    /** Total device memory in bytes. */
    public long totalMemory() {
        return totalMemory;
    }

    /** The stream all work is ordered on. */
    public MemorySegment stream() {
        return stream;
    }

    /** The caching allocator. */
    public CachingAllocator allocator() {
        return allocator;
    }

    /** Allocator statistics. */
    public MemoryStats memoryStats() {
        return allocator.stats();
    }

    /** Waits for all queued work, then returns cached blocks to the driver. */
    public void emptyCache() {
        synchronize();
        allocator.emptyCache();
    }

    /**
     * Debug aid: when on, every new tensor allocation is filled with NaN bits ({@code 0x7FC07FC0},
     * a NaN as F32, F64 and both BF16 halves) so elements a kernel fails to write show up. Also
     * enabled by {@code -Dtessera.cuda.poison=true}.
     */
    public void setPoison(boolean on) {
        poison = on;
    }

    /** True when new allocations are filled with NaN bits. */
    public boolean poison() {
        return poison;
    }

    /** The kernel modules. */
    public KernelModules modules() {
        return modules;
    }

    /** Kernel {@code name} of module {@code module}. */
    public Kernel kernel(String module, String name) {
        return modules.kernel(module, name);
    }

    /** The cuBLAS handle (created on first use, with a 32 MiB workspace on Hopper, 4 MiB otherwise). */
    public Cublas.Handle blas() {
        Cublas.Handle h = blas;
        if (h == null) {
            synchronized (this) {
                h = blas;
                if (h == null) {
                    makeCurrent();
                    blasWorkspace = allocator.allocate(major >= 9 ? 32L << 20 : 4L << 20);
                    h = runtime.cublas().createHandle(stream, blasWorkspace.ptr(), blasWorkspace.size());
                    blas = h;
                }
            }
        }
        makeCurrent();
        return h;
    }

    // ------------------------------------------------------------------ graph capture

    /** True while the stream is being captured into a CUDA graph ({@link CudaGraph}). */
    public boolean capturing() {
        return capturing;
    }

    /**
     * Starts capturing the stream (thread-local mode: only this thread's unsafe calls are
     * refused). Used by {@link CudaGraph}.
     */
    void beginCapture() {
        makeCurrent();
        if (capturing) throw new IllegalStateException("cuda:" + ordinal + " is already capturing a CUDA graph");
        driver.streamBeginCapture(stream, Driver.CAPTURE_MODE_THREAD_LOCAL);
        capturing = true;
    }

    /** Ends the capture and returns the graph (throws when the capture was invalidated). */
    java.lang.foreign.MemorySegment endCapture() {
        makeCurrent();
        try {
            return driver.streamEndCapture(stream);
        } finally {
            capturing = false;
        }
    }

    private void refuseWhileCapturing(String what) {
        if (capturing) {
            throw new IllegalStateException("CUDA graph capture: " + what + " cannot be part of a captured step (a graph "
                    + "replays device work only; stage inputs and outputs through pinned buffers, see CudaGraph.Buffer)");
        }
    }

    /** Waits until all work queued on the stream has finished. */
    public void synchronize() {
        refuseWhileCapturing("waiting for the device (synchronize, or reading a tensor on the host)");
        makeCurrent();
        driver.streamSynchronize(stream);
    }

    /** A new event for timing work on this device. */
    public CudaEvent event() {
        return new CudaEvent(this);
    }

    /**
     * Launches {@code k} on the stream with a 2-D grid. A kernel asking for more than
     * {@value #DEFAULT_SHARED_BYTES} bytes of dynamic shared memory is opted in first (once per size),
     * and a request beyond the device's limit fails naming both.
     */
    public void launch(Kernel k, int gridX, int gridY, int block, int sharedBytes, KernelArgs args) {
        makeCurrent();
        if (sharedBytes > DEFAULT_SHARED_BYTES) optInShared(k, sharedBytes);
        driver.launchKernel(k.handle(), gridX, gridY, 1, block, 1, 1, sharedBytes, stream, args.segment());
    }

    private void optInShared(Kernel k, int bytes) {
        String key = k.module() + "/" + k.name();
        Integer done = sharedOptedIn.get(key);
        if (done != null && done >= bytes) return;
        if (sharedOptIn > 0 && bytes > sharedOptIn) {
            throw new IllegalArgumentException("kernel " + k.name() + " needs " + bytes + " bytes of shared memory; "
                    + name + " allows at most " + sharedOptIn + " per block");
        }
        driver.funcSetAttribute(k.handle(), FUNC_MAX_DYNAMIC_SHARED, bytes);
        sharedOptedIn.merge(key, bytes, Math::max);
    }

    /** Copies host bytes (any segment) to device memory, through pinned staging. */
    public void toDevice(MemorySegment src, long dst, long bytes) {
        refuseWhileCapturing("copying Java memory to the device (e.g. a tensor created from a Java array)");
        makeCurrent();
        staging.toDevice(src, dst, bytes);
    }

    /** Copies device bytes to host memory (any segment) and waits for them. */
    public void toHost(long src, MemorySegment dst, long bytes) {
        refuseWhileCapturing("reading device memory on the host");
        makeCurrent();
        staging.toHost(src, dst, bytes);
    }

    /** Device-to-device copy on the stream. */
    public void copy(long dst, long src, long bytes) {
        if (bytes == 0) return;
        makeCurrent();
        driver.memcpyDtoDAsync(dst, src, bytes, stream);
    }

    /** Sets {@code count} 32-bit words at {@code dst} to {@code bits} on the stream. */
    public void fill32(long dst, int bits, long count) {
        if (count == 0) return;
        makeCurrent();
        driver.memsetD32Async(dst, bits, count, stream);
    }

    /** Sets {@code count} bytes at {@code dst} to {@code value} on the stream. */
    public void fill8(long dst, byte value, long count) {
        if (count == 0) return;
        makeCurrent();
        driver.memsetD8Async(dst, value, count, stream);
    }

    @Override
    public String toString() {
        return "cuda:" + ordinal + " (" + name + ", sm_" + major + minor + ", " + sms + " SMs, "
                + (totalMemory >> 20) + " MiB)";
    }
}
