package dev.tessera.kernels.runtime;

import dev.tessera.kernels.cuda.CudaException;
import dev.tessera.kernels.cuda.Driver;
import dev.tessera.kernels.memory.CachingAllocator;
import dev.tessera.kernels.memory.DeviceBlock;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One step of device work (e.g. a training step: forward, backward, optimizer) captured once as a
 * CUDA graph and replayed with a single launch (GPU.md §5).
 *
 * <p>{@link #capture} runs the step three times: a warm-up run (eager: kernel modules load, lazily
 * created state such as optimizer moments and the cuBLAS workspace comes into being), a recording
 * run (eager: the order, sizes and lifetimes of the step's device allocations are logged), and the
 * capture run, in which nothing executes: every allocation is served from one arena at offsets
 * planned from the recording ({@link ArenaPlan}), so the graph's pointers are fixed and nothing is
 * allocated or freed during a replay. <b>The two eager runs are real steps</b> (a training step
 * trains twice). The step must allocate the same sequence every time; a difference fails the
 * capture with the first differing allocation named.
 *
 * <p>A captured step cannot touch the host: no reading tensors, no tensors made from Java arrays,
 * no synchronisation (these fail with a message while capturing). Inputs and outputs go through
 * pinned {@link Buffer}s whose copies become graph nodes: fill {@link Buffer#host()}, {@link #replay},
 * {@link CudaDevice#synchronize()}, read results. Scalars that change between steps (learning rate,
 * step count) must be read by kernels from device memory that such a buffer fills, as
 * {@code ops.MultiTensorAdamW} does; values baked into kernel arguments (a host-side learning rate,
 * a dropout seed) are replayed as captured. Tensors the step creates live in the arena as long as
 * the graph and are overwritten by each replay.
 *
 * <pre>{@code
 * CudaGraph.Buffer x = new CudaGraph.Buffer(dev, Gpu.ptr(xDevice), 4L * xDevice.numel());
 * CudaGraph g = CudaGraph.capture(dev, () -> { x.upload(); trainStep(xDevice); loss.download(lossTensor()); });
 * for (...) { x.host().copyFrom(batch); g.replay(); dev.synchronize(); }
 * }</pre>
 */
public final class CudaGraph implements AutoCloseable {
    private final CudaDevice dev;
    private final Driver driver;
    private final MemorySegment graph, exec;
    private final DeviceBlock arena;
    private final long nodes;
    private final int allocations;
    private final long recordedBytes;
    private boolean closed;

    private CudaGraph(CudaDevice dev, MemorySegment graph, MemorySegment exec, DeviceBlock arena, int allocations, long recordedBytes) {
        this.dev = dev;
        this.driver = dev.runtime().driver();
        this.graph = graph;
        this.exec = exec;
        this.arena = arena;
        this.nodes = driver.graphNodeCount(graph);
        this.allocations = allocations;
        this.recordedBytes = recordedBytes;
    }

    /** Captures {@code step} on {@code dev}; see the class documentation for what runs when. */
    public static CudaGraph capture(CudaDevice dev, Runnable step) {
        Objects.requireNonNull(dev, "CudaGraph.capture: dev is null");
        Objects.requireNonNull(step, "CudaGraph.capture: step is null");
        CachingAllocator alloc = dev.allocator();
        step.run();
        Recorder rec = new Recorder();
        alloc.setPool(rec);
        try {
            step.run();
        } finally {
            alloc.setPool(null);
        }
        dev.synchronize();
        ArenaPlan plan = rec.plan();
        DeviceBlock arena = plan.total() == 0 ? null : alloc.allocate(plan.total());
        Replayer rp = new Replayer(plan, arena == null ? 0 : arena.ptr());
        alloc.setPool(rp);
        dev.beginCapture();
        try {
            step.run();
        } catch (RuntimeException | Error e) {
            alloc.setPool(null);
            try {
                MemorySegment g = dev.endCapture();
                if (!g.equals(MemorySegment.NULL)) dev.runtime().driver().graphDestroy(g);
            } catch (RuntimeException end) {
                e.addSuppressed(end);
            }
            if (arena != null) alloc.free(arena);
            throw e;
        }
        alloc.setPool(null);
        MemorySegment graph;
        try {
            graph = dev.endCapture();
        } catch (CudaException e) {
            if (arena != null) alloc.free(arena);
            throw new IllegalStateException("CUDA graph capture failed: the driver invalidated the capture (a call inside the "
                    + "step is not allowed while capturing)", e);
        }
        Driver d = dev.runtime().driver();
        if (rp.used() != plan.count()) {
            d.graphDestroy(graph);
            if (arena != null) alloc.free(arena);
            throw new IllegalStateException("CUDA graph capture: the step made " + rp.used() + " device allocations while capturing "
                    + "but " + plan.count() + " in the recording run; the step must allocate the same sequence every time");
        }
        MemorySegment exec = d.graphInstantiate(graph);
        d.graphUpload(exec, dev.stream());
        return new CudaGraph(dev, graph, exec, arena, plan.count(), rec.totalBytes());
    }

    /** Queues one replay on the device's stream (returns at once; synchronize to wait). */
    public void replay() {
        if (closed) throw new IllegalStateException("CudaGraph: replay after close");
        dev.makeCurrent();
        driver.graphLaunch(exec, dev.stream());
    }

    /** Nodes of the captured graph (kernels, copies, memsets, library work). */
    public long nodes() {
        return nodes;
    }

    /** Device allocations of the step, all served from the arena. */
    public int allocations() {
        return allocations;
    }

    /** Bytes of the arena (at most {@link #recordedBytes()}: blocks with disjoint lifetimes share memory). */
    public long arenaBytes() {
        return arena == null ? 0 : arena.requested();
    }

    /** Sum of the step's allocation sizes (each aligned as in the arena), as if nothing were shared. */
    public long recordedBytes() {
        return recordedBytes;
    }

    /** Destroys the graph and returns the arena (tensors the step created become invalid). */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        dev.makeCurrent();
        driver.graphExecDestroy(exec);
        driver.graphDestroy(graph);
        if (arena != null) {
            dev.synchronize();
            dev.allocator().free(arena);
        }
    }

    /** Logs the recording run's allocations: size, allocation time and free time on one clock. */
    private static final class Recorder implements CachingAllocator.Pool {
        private final List<long[]> requests = new ArrayList<>();   // {bytes, start, end}
        private final Map<Long, Integer> live = new HashMap<>();
        private long clock;

        @Override
        public DeviceBlock take(long bytes) {
            return null;
        }

        @Override
        public void allocated(DeviceBlock b) {
            live.put(b.ptr(), requests.size());
            requests.add(new long[] {b.requested(), clock++, Long.MAX_VALUE});
        }

        @Override
        public void released(DeviceBlock b) {
            Integer i = live.remove(b.ptr());
            if (i != null) requests.get(i)[2] = clock++;
        }

        long totalBytes() {
            long t = 0;
            for (long[] r : requests) t += (r[0] + ArenaPlan.ALIGN - 1) / ArenaPlan.ALIGN * ArenaPlan.ALIGN;
            return t;
        }

        ArenaPlan plan() {
            int n = requests.size();
            long[] bytes = new long[n], start = new long[n], end = new long[n];
            for (int i = 0; i < n; i++) {
                long[] r = requests.get(i);
                bytes[i] = r[0];
                start[i] = r[1];
                end[i] = r[2];
            }
            return ArenaPlan.of(bytes, start, end);
        }
    }

    /** Serves the capture run's allocations, in order, from the arena. */
    private static final class Replayer implements CachingAllocator.Pool {
        private final ArenaPlan plan;
        private final long base;
        private int next;

        Replayer(ArenaPlan plan, long base) {
            this.plan = plan;
            this.base = base;
        }

        int used() {
            return next;
        }

        @Override
        public DeviceBlock take(long bytes) {
            int i = next;
            if (i >= plan.count()) {
                throw new IllegalStateException("CUDA graph capture: the step allocated more while capturing than in the recording run ("
                        + plan.count() + " allocations; the next asks for " + bytes + " bytes); it must allocate the same sequence every time");
            }
            if (plan.bytes(i) != bytes) {
                throw new IllegalStateException("CUDA graph capture: allocation #" + i + " asks for " + bytes + " bytes but was "
                        + plan.bytes(i) + " bytes in the recording run; the step must allocate the same sequence every time");
            }
            next++;
            return new DeviceBlock(base + plan.offset(i), (bytes + ArenaPlan.ALIGN - 1) / ArenaPlan.ALIGN * ArenaPlan.ALIGN, bytes, true);
        }

        @Override
        public void allocated(DeviceBlock b) {
            // never reached: every request is served from the arena
        }

        @Override
        public void released(DeviceBlock b) {
            // ordinary blocks freed while capturing (e.g. by the garbage collector) go back to the cache as usual
        }
    }

    /**
     * Pinned host memory paired with device memory, for a captured step's inputs and outputs: the
     * copies are queued on the stream, so inside a capture they become graph nodes that read or
     * write {@link #host()} each time the graph is replayed.
     */
    public static final class Buffer implements AutoCloseable {
        private final CudaDevice dev;
        private final Driver driver;
        private final long device, bytes;
        private final MemorySegment host;
        private boolean closed;

        /** A pinned host buffer of {@code bytes} for the device range at {@code devicePtr} (allocated by the caller). */
        public Buffer(CudaDevice dev, long devicePtr, long bytes) {
            if (bytes <= 0) throw new IllegalArgumentException("CudaGraph.Buffer: bytes must be positive, got " + bytes);
            this.dev = dev;
            this.driver = dev.runtime().driver();
            this.device = devicePtr;
            this.bytes = bytes;
            dev.makeCurrent();
            this.host = driver.memHostAlloc(bytes, 0);
        }

        /** The pinned host memory (write inputs before a replay, read outputs after synchronising). */
        public MemorySegment host() {
            return host;
        }

        /** The device address. */
        public long device() {
            return device;
        }

        /** Queues host to device. */
        public void upload() {
            dev.makeCurrent();
            driver.memcpyHtoDAsync(device, host, bytes, dev.stream());
        }

        /** Queues device to host. */
        public void download() {
            download(device, bytes);
        }

        /** Queues {@code n} bytes from device address {@code src} (e.g. a tensor the step created) to the host memory. */
        public void download(long src, long n) {
            if (n > bytes) throw new IllegalArgumentException("CudaGraph.Buffer: " + n + " bytes do not fit in " + bytes);
            dev.makeCurrent();
            driver.memcpyDtoHAsync(host, src, n, dev.stream());
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            dev.synchronize();
            driver.memFreeHost(host);
        }
    }
}
