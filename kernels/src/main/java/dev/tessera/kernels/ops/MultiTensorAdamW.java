package dev.tessera.kernels.ops;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.tessera.kernels.cuda.Driver;
import dev.tessera.kernels.memory.DeviceBlock;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Fused AdamW over a whole list of F32 tensors in one launch, with the hyperparameters (learning
 * rate, betas, eps, weight decay, step) read by the kernel from device memory: the tensor table and
 * the hyperparameters live in pinned host memory and are copied on the stream by {@link #step}, so in
 * a captured {@code runtime.CudaGraph} the copy is a graph node and every replay uses the values set
 * by {@link #setHyperparameters} before it. The arithmetic is {@code Backend.adamWStepInPlace}'s
 * (decoupled weight decay, bias correction), float32 like the CPU's.
 *
 * <pre>{@code
 * MultiTensorAdamW adam = new MultiTensorAdamW(gpu);
 * adam.setHyperparameters(3e-4, 0.9, 0.999, 1e-8, 0.01, step);
 * adam.step(params, grads, m, v);
 * }</pre>
 */
public final class MultiTensorAdamW implements AutoCloseable {
    /** Elements per block of the kernel. */
    static final int CHUNK = 16384;
    private final Gpu g;
    private final Driver driver;
    private MemorySegment pinned;
    private long pinnedBytes;
    private MemorySegment uploaded;   // event after the last eager upload (host may not rewrite the table before it)
    private final double[] hp = {1e-3, 0.9, 0.999, 1e-8, 0.0, 1};
    private boolean pendingUpload;

    /** AdamW on a device. */
    public MultiTensorAdamW(Gpu g) {
        this.g = g;
        this.driver = g.dev().runtime().driver();
    }

    /**
     * Hyperparameters of the next {@link #step} (or of the next replay of a graph that captured
     * one; call it after the previous replay has finished).
     */
    public void setHyperparameters(double lr, double beta1, double beta2, double eps, double weightDecay, long step) {
        if (step < 1) throw new IllegalArgumentException("adamW: step must be >= 1 (1-based), got " + step);
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("adamW: betas must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        hp[0] = lr;
        hp[1] = beta1;
        hp[2] = beta2;
        hp[3] = eps;
        hp[4] = weightDecay;
        hp[5] = step;
        if (pinned != null) {
            awaitUpload();
            MemorySegment.copy(hp, 0, pinned, JAVA_DOUBLE, pinnedBytes - 48, 6);
        }
    }

    /** One step on every {@code params[i]} with its {@code grads[i]} and moments {@code m[i]}, {@code v[i]} (contiguous F32). */
    public void step(List<Tensor> params, List<Tensor> grads, List<Tensor> m, List<Tensor> v) {
        int t = params.size();
        if (grads.size() != t || m.size() != t || v.size() != t) {
            throw new IllegalArgumentException("adamW: " + t + " params but " + grads.size() + " grads, " + m.size() + " m, " + v.size() + " v");
        }
        int blocks = 0;
        for (int i = 0; i < t; i++) {
            Tensor p = params.get(i);
            Tensor[] ts = {p, grads.get(i), m.get(i), v.get(i)};
            String[] names = {"param", "grad", "m", "v"};
            for (int j = 0; j < 4; j++) {
                Tensor x = ts[j];
                if (x.dtype() != DType.F32 || x.numel() != p.numel() || !x.isContiguous()) {
                    throw new IllegalArgumentException("adamW: " + names[j] + "[" + i + "] must be a contiguous F32 tensor of " + p.numel()
                            + " elements like param " + Shape.str(p.shape()) + ", got " + x.dtype() + " " + Shape.str(x.shape())
                            + (x.isContiguous() ? "" : " (non-contiguous)"));
                }
            }
            blocks += (p.numel() + CHUNK - 1) / CHUNK;
        }
        if (blocks == 0) return;
        // table layout: ptrs [t][4], sizes [t], start [blocks], block [blocks] (ints, padded to 8), hp [6]
        long ptrOff = 0, sizeOff = 32L * t, startOff = sizeOff + 8L * t, blockOff = startOff + 8L * blocks;
        long hpOff = blockOff + (4L * blocks + 7) / 8 * 8, bytes = hpOff + 48;
        ensurePinned(bytes);
        awaitUpload();
        int b = 0;
        for (int i = 0; i < t; i++) {
            Tensor p = params.get(i);
            pinned.set(JAVA_LONG, ptrOff + 32L * i, Gpu.ptr(p));
            pinned.set(JAVA_LONG, ptrOff + 32L * i + 8, Gpu.ptr(grads.get(i)));
            pinned.set(JAVA_LONG, ptrOff + 32L * i + 16, Gpu.ptr(m.get(i)));
            pinned.set(JAVA_LONG, ptrOff + 32L * i + 24, Gpu.ptr(v.get(i)));
            pinned.set(JAVA_LONG, sizeOff + 8L * i, p.numel());
            for (long s = 0; s < p.numel(); s += CHUNK, b++) {
                pinned.set(JAVA_LONG, startOff + 8L * b, s);
                pinned.set(JAVA_INT, blockOff + 4L * b, i);
            }
        }
        MemorySegment.copy(hp, 0, pinned, JAVA_DOUBLE, hpOff, 6);
        DeviceBlock table = g.scratch(bytes);
        g.dev().makeCurrent();
        driver.memcpyHtoDAsync(table.ptr(), pinned.asSlice(0, bytes), bytes, g.dev().stream());
        if (!g.dev().capturing()) {
            driver.eventRecord(uploaded, g.dev().stream());
            pendingUpload = true;
        }
        final int nb = blocks;
        long base = table.ptr();
        g.launchGrid("fused", "adamw_multi_f32", nb, 1, 256, 0, (a, k) -> k.ptr(base + ptrOff).ptr(base + sizeOff)
                .ptr(base + blockOff).ptr(base + startOff).ptr(base + hpOff).i32(CHUNK));
        g.free(table);
    }

    private void ensurePinned(long bytes) {
        if (pinned != null && pinnedBytes == bytes) return;
        if (g.dev().capturing()) {
            throw new IllegalStateException("adamW: the tensor list changed while capturing a CUDA graph; capture a step that the "
                    + "warm-up run has already made with the same tensors");
        }
        close();
        g.dev().makeCurrent();
        pinned = driver.memHostAlloc(bytes, 0);
        pinnedBytes = bytes;
        if (uploaded == null) uploaded = driver.eventCreate(2); // CU_EVENT_DISABLE_TIMING
    }

    private void awaitUpload() {
        if (pendingUpload && !g.dev().capturing()) {
            driver.eventSynchronize(uploaded);
            pendingUpload = false;
        }
    }

    /** Frees the pinned table (after the queued work that reads it). */
    @Override
    public void close() {
        if (pinned == null) return;
        awaitUpload();
        driver.memFreeHost(pinned);
        pinned = null;
        pinnedBytes = 0;
    }
}
