package dev.tessera.kernels.ops;

import dev.tessera.kernels.memory.DeviceBlock;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;

/**
 * Mixture-of-experts routing kernels ({@code moe.cu}) with the conventions of {@code moe.SparseMoE}:
 * top-k gating with renormalised gates (ties to the lower expert), a dispatch plan by histogram and
 * prefix sum in GShard priority order with a capacity per expert (overflow dropped by position),
 * the permutation of token rows into the {@code [E * C, d]} expert buffer, and the weighted combine
 * back to tokens; each with its backward. Everything stays on the device and is deterministic
 * (gathers and integer histograms, no float atomics); only a dropless plan reads one number back
 * (the largest load, which sets the buffer size).
 *
 * <p>The expert GEMMs in between are ordinary batched matmuls of the {@code [E, C, d]} buffer
 * (cuBLAS strided-batched), so a layer is: router matmul, {@link #gate}, {@link #plan},
 * {@link #permute}, expert FFN, {@link #combine}.
 *
 * <pre>{@code
 * MoeKernels moe = new MoeKernels(gpu);
 * MoeKernels.Gating gt = moe.gate(x.matmul(wRouter), 2, null);
 * MoeKernels.Plan plan = moe.plan(gt.choice(), 8, MoeKernels.capacity(1.25, 2, tokens, 8));
 * Tensor buf = moe.permute(x, plan).reshape(8, plan.capacity(), d);
 * Tensor y = moe.combine(experts(buf).reshape(-1, d), gt.gates(), plan);
 * }</pre>
 */
public final class MoeKernels {
    private static final String M = "moe";
    private static final int CHUNK = 256;
    /** Most experts the gating kernel handles (32 per lane of a warp). */
    public static final int MAX_EXPERTS = 1024;

    private final Gpu g;

    /** MoE kernels on a device. */
    public MoeKernels(Gpu g) {
        this.g = g;
    }

    /**
     * Router output: {@code probs [T, E]} (softmax of the logits, F32), {@code choice [T, k]} (I32,
     * descending by score) and {@code gates [T, k]} (the chosen probabilities renormalised, F32).
     */
    public record Gating(Tensor probs, Tensor choice, Tensor gates) {}

    /**
     * A dispatch plan.
     *
     * @param capacity   slots per expert C
     * @param load       [E] I32: assignments per expert before dropping
     * @param slotOf     [T * k] I32: slot {@code e * C + position} of assignment {@code t * k + j}, or -1 (dropped)
     * @param slotToken  [E * C] I32: token in each slot, -1 for empty
     * @param slotAssign [E * C] I32: assignment {@code t * k + j} in each slot, -1 for empty
     * @param tokens     T
     * @param k          choices per token
     */
    public record Plan(int capacity, Tensor load, Tensor slotOf, Tensor slotToken, Tensor slotAssign, int tokens, int k) {
        /** Number of experts. */
        public int experts() {
            return load.numel();
        }
    }

    /** Capacity {@code ceil(cf * k * T / E)}; {@code cf <= 0} means dropless and gives -1 (as moe.Dispatch). */
    public static int capacity(double cf, int k, int tokens, int experts) {
        return cf <= 0 ? -1 : (int) Math.ceil(cf * k * tokens / experts);
    }

    /**
     * Softmax, top-k and renormalised gates of router {@code logits [T, E]} (F32); {@code bias [E]}
     * (F32, nullable) is added to the probabilities for the selection only (auxiliary-loss-free
     * balancing).
     */
    public Gating gate(Tensor logits, int k, Tensor bias) {
        if (logits.rank() != 2 || logits.dtype() != DType.F32) {
            throw new IllegalArgumentException("moeGate: logits must be F32 [T, E], got " + logits.dtype() + Shape.str(logits.shape()));
        }
        int t = logits.dim(0), e = logits.dim(1);
        if (e < 1 || e > MAX_EXPERTS) throw new IllegalArgumentException("moeGate: experts must be in [1, " + MAX_EXPERTS + "], got " + e);
        if (k < 1 || k > e) throw new IllegalArgumentException("moeGate: k must be in [1, " + e + "], got " + k);
        if (bias != null && (bias.dtype() != DType.F32 || !Shape.same(bias.shape(), new int[] {e}))) {
            throw new IllegalArgumentException("moeGate: bias must be F32 [" + e + "], got " + bias.dtype() + Shape.str(bias.shape()));
        }
        Tensor x = logits.contiguous(), b = bias == null ? null : bias.contiguous();
        Tensor probs = g.alloc(DType.F32, new int[] {t, e}), choice = g.alloc(DType.I32, new int[] {t, k});
        Tensor gates = g.alloc(DType.F32, new int[] {t, k});
        if (t > 0) {
            g.launchGrid(M, "moe_gate", g.grid(t, 8), 1, 256, 0, (a, ka) -> ka.i32(t).i32(e).i32(k).ptr(Gpu.ptr(x))
                    .ptr(b == null ? 0 : Gpu.ptr(b)).ptr(Gpu.ptr(probs)).ptr(Gpu.ptr(choice)).ptr(Gpu.ptr(gates)));
        }
        return new Gating(probs, choice, gates);
    }

    /**
     * The dispatch plan of {@code choice [T, k]} (I32, values in [0, experts)) with {@code capacity}
     * slots per expert ({@code < 0}: dropless, the largest load, read back from the device). Expert
     * ids are trusted (they come from {@link #gate}); out-of-range ids are undefined behaviour.
     */
    public Plan plan(Tensor choice, int experts, int capacity) {
        if (choice.rank() != 2 || choice.dtype() != DType.I32) {
            throw new IllegalArgumentException("moePlan: choice must be I32 [T, k], got " + choice.dtype() + Shape.str(choice.shape()));
        }
        if (experts < 1 || experts > MAX_EXPERTS) {
            throw new IllegalArgumentException("moePlan: experts must be in [1, " + MAX_EXPERTS + "], got " + experts);
        }
        int t = choice.dim(0), k = choice.dim(1);
        long n = (long) t * k;
        Tensor c = choice.contiguous();
        int chunks = (int) Math.max(1, (n + CHUNK - 1) / CHUNK);
        Tensor load = g.alloc(DType.I32, new int[] {experts});
        DeviceBlock counts = g.scratch(4L * chunks * experts), offsets = g.scratch(4L * chunks * experts);
        if (n > 0) {
            g.launchGrid(M, "moe_count", chunks, 1, CHUNK, 4 * experts, (a, ka) -> ka.i32(t).i32(k).i32(experts).ptr(Gpu.ptr(c))
                    .ptr(counts.ptr()));
        } else {
            g.dev().fill8(counts.ptr(), (byte) 0, 4L * chunks * experts);
        }
        g.launchGrid(M, "moe_scan", 1, 1, 256, 0, (a, ka) -> ka.i32(chunks).i32(experts).ptr(counts.ptr()).ptr(offsets.ptr())
                .ptr(Gpu.ptr(load)));
        int cap = capacity;
        if (cap < 0) {
            cap = 0;
            for (int l : g.readInts(Gpu.ptr(load), experts)) cap = Math.max(cap, l);
        }
        final int fc = cap;
        Tensor slotOf = g.alloc(DType.I32, new int[] {t * k});
        Tensor slotToken = g.alloc(DType.I32, new int[] {experts * cap}), slotAssign = g.alloc(DType.I32, new int[] {experts * cap});
        g.dev().fill32(Gpu.ptr(slotToken), -1, (long) experts * cap);
        g.dev().fill32(Gpu.ptr(slotAssign), -1, (long) experts * cap);
        if (n > 0) {
            g.launchGrid(M, "moe_place", chunks, 1, CHUNK, 4 * (CHUNK / 32) * experts, (a, ka) -> ka.i32(t).i32(k).i32(experts)
                    .i32(fc).ptr(Gpu.ptr(c)).ptr(offsets.ptr()).ptr(Gpu.ptr(slotOf)).ptr(Gpu.ptr(slotToken)).ptr(Gpu.ptr(slotAssign)));
        }
        g.free(counts);
        g.free(offsets);
        return new Plan(cap, load, slotOf, slotToken, slotAssign, t, k);
    }

    /** The expert buffer {@code [E * C, d]}: row s holds token {@code slotToken[s]}'s row of {@code x [T, d]}, or zeros. */
    public Tensor permute(Tensor x, Plan p) {
        checkRows("moePermute", "x", x, p.tokens());
        int d = x.dim(1), slots = p.experts() * p.capacity();
        Tensor xc = x.contiguous();
        Tensor buf = g.alloc(x.dtype(), new int[] {slots, d});
        int rowBytes = d * x.dtype().byteSize();
        boolean vec = rowBytes % 16 == 0 && (Gpu.ptr(xc) & 15) == 0 && (Gpu.ptr(buf) & 15) == 0;
        if (slots > 0 && d > 0) {
            g.launchGrid(M, "moe_permute", g.grid(slots, 8), 1, 256, 0, (a, ka) -> ka.i32(slots).i32(rowBytes).i32(vec ? 1 : 0)
                    .ptr(Gpu.ptr(p.slotToken())).ptr(Gpu.ptr(xc)).ptr(Gpu.ptr(buf)));
        }
        return buf;
    }

    /** Gradient of {@link #permute}: {@code dx [T, d]} summing each token's kept slots of {@code dbuf [E * C, d]}. */
    public Tensor permuteBackward(Tensor dbuf, Plan p) {
        checkRows("moePermuteBackward", "dbuf", dbuf, p.experts() * p.capacity());
        int d = dbuf.dim(1);
        DType ct = floating("moePermuteBackward", dbuf);
        Tensor db = dbuf.to(ct).contiguous();
        Tensor dx = g.alloc(ct, new int[] {p.tokens(), d});
        long n = (long) p.tokens() * d;
        g.launch(M, "moe_permute_bwd" + sfx(ct), n, (a, ka) -> ka.i32(p.tokens()).i32(p.k()).i32(d).ptr(Gpu.ptr(p.slotOf()))
                .ptr(Gpu.ptr(db)).ptr(Gpu.ptr(dx)));
        return dx.to(dbuf.dtype());
    }

    /** {@code y [T, d] = sum_j gates[t, j] * h[slotOf[t, j], :]} over kept choices; {@code h [E * C, d]}, {@code gates [T, k]}. */
    public Tensor combine(Tensor h, Tensor gates, Plan p) {
        checkRows("moeCombine", "h", h, p.experts() * p.capacity());
        checkGates("moeCombine", gates, p);
        DType ct = floating("moeCombine", h);
        int d = h.dim(1);
        Tensor hc = h.to(ct).contiguous(), gc = gates.to(ct).contiguous();
        Tensor y = g.alloc(ct, new int[] {p.tokens(), d});
        g.launch(M, "moe_combine" + sfx(ct), (long) p.tokens() * d, (a, ka) -> ka.i32(p.tokens()).i32(p.k()).i32(d)
                .ptr(Gpu.ptr(p.slotOf())).ptr(Gpu.ptr(gc)).ptr(Gpu.ptr(hc)).ptr(Gpu.ptr(y)));
        return y.to(h.dtype());
    }

    /** Gradients of {@link #combine}: {dh [E * C, d], dgates [T, k]}. */
    public Tensor[] combineBackward(Tensor dy, Tensor h, Tensor gates, Plan p) {
        checkRows("moeCombineBackward", "dy", dy, p.tokens());
        checkRows("moeCombineBackward", "h", h, p.experts() * p.capacity());
        checkGates("moeCombineBackward", gates, p);
        DType ct = floating("moeCombineBackward", h);
        int d = h.dim(1), slots = p.experts() * p.capacity();
        if (dy.dim(1) != d) throw new IllegalArgumentException("moeCombineBackward: dy has " + dy.dim(1) + " columns, h " + d);
        Tensor dyc = dy.to(ct).contiguous(), hc = h.to(ct).contiguous(), gc = gates.to(ct).contiguous();
        Tensor dh = g.alloc(ct, new int[] {slots, d}), dg = g.alloc(ct, new int[] {p.tokens(), p.k()});
        g.launch(M, "moe_combine_bwd_h" + sfx(ct), (long) slots * d, (a, ka) -> ka.i32(slots).i32(p.k()).i32(d)
                .ptr(Gpu.ptr(p.slotAssign())).ptr(Gpu.ptr(gc)).ptr(Gpu.ptr(dyc)).ptr(Gpu.ptr(dh)));
        int n = p.tokens() * p.k();
        if (n > 0) {
            g.launchGrid(M, "moe_combine_bwd_gate" + sfx(ct), g.grid(n, 8), 1, 256, 0, (a, ka) -> ka.i32(n).i32(p.k()).i32(d)
                    .ptr(Gpu.ptr(p.slotOf())).ptr(Gpu.ptr(dyc)).ptr(Gpu.ptr(hc)).ptr(Gpu.ptr(dg)));
        }
        return new Tensor[] {dh.to(h.dtype()), dg.to(gates.dtype())};
    }

    /**
     * Gradient of the router logits from the gates' gradient {@code dgates [T, k]} through the
     * renormalisation and the softmax; {@code dprobs [T, E]} (nullable) adds a direct gradient of the
     * probabilities (e.g. from a balance loss).
     */
    public Tensor gateBackward(Gating gt, Tensor dgates, Tensor dprobs) {
        int t = gt.probs().dim(0), e = gt.probs().dim(1), k = gt.choice().dim(1);
        if (!Shape.same(dgates.shape(), new int[] {t, k})) {
            throw new IllegalArgumentException("moeGateBackward: dgates must be [" + t + ", " + k + "], got " + Shape.str(dgates.shape()));
        }
        if (dprobs != null && !Shape.same(dprobs.shape(), new int[] {t, e})) {
            throw new IllegalArgumentException("moeGateBackward: dprobs must be [" + t + ", " + e + "], got " + Shape.str(dprobs.shape()));
        }
        Tensor dg = dgates.to(DType.F32).contiguous(), dp = dprobs == null ? null : dprobs.to(DType.F32).contiguous();
        Tensor dl = g.alloc(DType.F32, new int[] {t, e});
        if (t > 0) {
            g.launchGrid(M, "moe_gate_bwd", g.grid(t, 8), 1, 256, 0, (a, ka) -> ka.i32(t).i32(e).i32(k).ptr(Gpu.ptr(gt.probs()))
                    .ptr(Gpu.ptr(gt.choice())).ptr(Gpu.ptr(gt.gates())).ptr(Gpu.ptr(dg)).ptr(dp == null ? 0 : Gpu.ptr(dp))
                    .ptr(Gpu.ptr(dl)));
        }
        return dl;
    }

    private static String sfx(DType ct) {
        return ct == DType.F64 ? "_f64" : "_f32";
    }

    private static DType floating(String op, Tensor t) {
        if (!t.dtype().isFloating()) throw new IllegalArgumentException(op + ": expected a floating tensor, got " + t.dtype());
        return t.dtype() == DType.F64 ? DType.F64 : DType.F32;
    }

    private static void checkRows(String op, String name, Tensor t, int rows) {
        if (t.rank() != 2 || t.dim(0) != rows) {
            throw new IllegalArgumentException(op + ": " + name + " must be [" + rows + ", d], got " + Shape.str(t.shape()));
        }
    }

    private static void checkGates(String op, Tensor gates, Plan p) {
        if (!Shape.same(gates.shape(), new int[] {p.tokens(), p.k()})) {
            throw new IllegalArgumentException(op + ": gates must be [" + p.tokens() + ", " + p.k() + "], got " + Shape.str(gates.shape()));
        }
    }
}
