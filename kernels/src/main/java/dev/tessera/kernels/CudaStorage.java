package dev.tessera.kernels;

import dev.tessera.kernels.memory.DeviceBuffer;
import dev.tessera.kernels.memory.Scope;
import dev.tessera.kernels.memory.ScopedResource;
import dev.tessera.kernels.runtime.CudaDevice;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Device;
import dev.tessera.tensor.Storage;

/**
 * Device memory holding the elements of CUDA tensors. Owned by the innermost {@link Scope} open
 * on the allocating thread (freed when it closes), otherwise by the garbage collector.
 */
public final class CudaStorage implements Storage, ScopedResource {
    private final DType dtype;
    private final Device device;
    private final int size;
    private final CudaDevice cuda;
    private final DeviceBuffer buf;

    private CudaStorage(CudaDevice cuda, Device device, DType dtype, int size) {
        this.cuda = cuda;
        this.device = device;
        this.dtype = dtype;
        this.size = size;
        long bytes = (long) size * dtype.byteSize();
        this.buf = DeviceBuffer.allocate(cuda.allocator(), bytes, this);
        Scope.register(this);
        if (cuda.poison() && bytes > 0) {
            cuda.fill32(buf.ptr(), 0x7FC07FC0, bytes / 4);
            if (bytes % 4 != 0) cuda.fill8(buf.ptr() + bytes / 4 * 4, (byte) 0x7F, bytes % 4);
        }
    }

    /** Uninitialised storage of {@code size} elements. */
    public static CudaStorage allocate(CudaDevice cuda, Device device, DType dtype, int size) {
        return new CudaStorage(cuda, device, dtype, size);
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    public int size() {
        return size;
    }

    /** The CUDA device. */
    public CudaDevice cuda() {
        return cuda;
    }

    /** Device address of element 0 (throws once freed). */
    public long ptr() {
        return buf.ptr();
    }

    /** Device address of element {@code index}. */
    public long ptr(int index) {
        return buf.ptr() + (long) index * dtype.byteSize();
    }

    @Override
    public void release() {
        buf.release();
    }

    @Override
    public boolean released() {
        return buf.released();
    }
}
