package dev.tessera.kernels.ops;

import dev.tessera.kernels.CudaStorage;
import dev.tessera.kernels.cuda.KernelArgs;
import dev.tessera.kernels.memory.DeviceBlock;
import dev.tessera.kernels.runtime.CudaDevice;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Device;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.BiConsumer;

/** What the op classes share: the device, allocation, addresses and kernel launches. */
public final class Gpu {
    /** Threads per block of the elementwise kernels. */
    public static final int BLOCK = 256;

    private final CudaDevice dev;
    private final Device device;

    /** Ops on {@code dev}, serving tensors of {@code device}. */
    public Gpu(CudaDevice dev, Device device) {
        this.dev = dev;
        this.device = device;
    }

    /** The CUDA device. */
    public CudaDevice dev() {
        return dev;
    }

    /** The Tessera device. */
    public Device device() {
        return device;
    }

    /** A new uninitialised contiguous tensor. */
    public Tensor alloc(DType dtype, int[] shape) {
        return Tensor.wrap(CudaStorage.allocate(dev, device, dtype, Shape.numel(shape)), shape);
    }

    /** A new zero-filled contiguous tensor. */
    public Tensor zeros(DType dtype, int[] shape) {
        Tensor t = alloc(dtype, shape);
        dev.fill8(ptr(t), (byte) 0, (long) t.numel() * dtype.byteSize());
        return t;
    }

    /** The CUDA storage of a tensor of this device. */
    public static CudaStorage st(Tensor t) {
        return (CudaStorage) t.storage();
    }

    /** Address of a tensor's first element (offset applied). */
    public static long ptr(Tensor t) {
        return st(t).ptr(t.offset());
    }

    /** Address of element 0 of a tensor's storage (for strided kernels, which add offsets themselves). */
    public static long base(Tensor t) {
        return st(t).ptr();
    }

    /** True when a float4 kernel may read the tensor: contiguous and 16-byte aligned. */
    public static boolean vec4(Tensor t) {
        return t.isContiguous() && (ptr(t) & 15) == 0;
    }

    /** Blocks for {@code work} items in grid-stride kernels: enough to fill the GPU, not more. */
    public int grid(long work, int block) {
        long want = (work + block - 1) / block;
        long cap = (long) dev.multiprocessors() * 32;
        return (int) Math.max(1, Math.min(want, cap));
    }

    /** Launches a grid-stride kernel over {@code work} items. */
    public void launch(String module, String name, long work, BiConsumer<Arena, KernelArgs> args) {
        if (work <= 0) return;
        launchGrid(module, name, grid(work, BLOCK), 1, BLOCK, 0, args);
    }

    /** Launches with an explicit grid and block. */
    public void launchGrid(String module, String name, int gridX, int gridY, int block, int shared,
                           BiConsumer<Arena, KernelArgs> args) {
        try (Arena a = Arena.ofConfined()) {
            KernelArgs k = new KernelArgs(a, 24, 1024);
            args.accept(a, k);
            dev.launch(dev.kernel(module, name), gridX, gridY, block, shared, k);
        }
    }

    /** Temporary device memory, released with {@link #free} once the kernels using it are queued. */
    public DeviceBlock scratch(long bytes) {
        return dev.allocator().allocate(bytes);
    }

    /** Returns scratch memory (safe right after queuing: later work on the stream runs after). */
    public void free(DeviceBlock b) {
        dev.allocator().free(b);
    }

    /** Reads {@code n} ints from device memory (waits for queued work). */
    public int[] readInts(long src, int n) {
        int[] r = new int[n];
        dev.toHost(src, MemorySegment.ofArray(r), 4L * n);
        return r;
    }

    /** Writes ints to device memory. */
    public void writeInts(long dst, int... v) {
        dev.toDevice(MemorySegment.ofArray(v), dst, 4L * v.length);
    }

    /** Threads per block for a row kernel over rows of {@code n} elements: a multiple of 32, at most 256. */
    public static int rowBlock(long n) {
        return (int) Math.max(32, Math.min(256, (n + 31) / 32 * 32));
    }

    /** One int of device memory as seen by the host, read after queued work (for index checks). */
    public int readInt(long src) {
        return readInts(src, 1)[0];
    }

    /** Size in bytes of {@code ValueLayout.JAVA_INT}, for scratch sizing. */
    public static final long INT = ValueLayout.JAVA_INT.byteSize();
}
