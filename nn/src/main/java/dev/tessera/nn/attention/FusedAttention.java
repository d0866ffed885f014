package dev.tessera.nn.attention;

import dev.tessera.tensor.Attention;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Device;
import dev.tessera.tensor.Tensor;

/**
 * The fused attention op ({@link Attention}) evaluated on the CPU in float64 whatever the inputs'
 * dtype and device, with results returned in the input dtype and on the input device: a
 * high-precision reference for other devices and precisions (e.g. the GPU kernels' tests). Models
 * use {@link Sdpa} / {@link dev.tessera.autograd.Variable#attention}, which run on the inputs' own
 * backend.
 *
 * <p>Shapes and masks as in {@link Sdpa}; rows with no visible key give output 0, log-sum-exp
 * -infinity and zero gradients.
 *
 * <pre>{@code
 * FusedAttention.Result r = FusedAttention.forward(q, k, v, null, true, 1 / Math.sqrt(64), 0);
 * }</pre>
 */
public final class FusedAttention {
    private FusedAttention() {}

    /** Output and row log-sum-exp of one attention call. */
    public record Result(Tensor out, Tensor lse) {}

    /** Gradients with respect to q, k and v. */
    public record Grads(Tensor dq, Tensor dk, Tensor dv) {}

    /** Forward: out [B, H, Tq, Dv] and lse [B, H, Tq]. */
    public static Result forward(Tensor q, Tensor k, Tensor v, Tensor keyPadding, boolean causal, double scale, int causalOffset) {
        Attention.Result r = Attention.forward(host(q), host(k), host(v), hostMask(keyPadding), causal, causalOffset, scale);
        return new Result(back(r.out(), q), back(r.lse(), q));
    }

    /** Backward from the forward's output and log-sum-exp and the output gradient. */
    public static Grads backward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor gOut, Tensor keyPadding, boolean causal,
                                 double scale, int causalOffset) {
        Attention.Grads g = Attention.backward(host(q), host(k), host(v), host(out), host(lse), host(gOut), hostMask(keyPadding), causal,
                causalOffset, scale);
        return new Grads(back(g.dq(), q), back(g.dk(), k), back(g.dv(), v));
    }

    private static Tensor host(Tensor t) {
        return t.to(Device.cpu()).to(DType.F64);
    }

    private static Tensor hostMask(Tensor m) {
        return m == null ? null : m.to(Device.cpu());
    }

    private static Tensor back(Tensor t, Tensor like) {
        Tensor r = like.dtype() == DType.F64 ? t : t.to(like.dtype());
        return r.to(like.device());
    }
}
