package dev.tessera.autograd;

import dev.tessera.tensor.Tensor;

/** Forward and derivative rule of matmul (NumPy semantics: 1-d promotion, broadcast batch dims). */
final class LinalgRules {
    private LinalgRules() {}

    static Variable matmul(Variable a, Variable b) {
        Tensor av = a.value(), bv = b.value();
        Tensor out = av.matmul(bv);
        boolean na = a.requiresGrad(), nb = b.requiresGrad();
        return Variable.record("matmul", out, g -> {
            // Work on the promoted (rank >= 2) operands, then undo the promotion.
            Tensor a2 = av.rank() == 1 ? av.unsqueeze(0) : av;
            Tensor b2 = bv.rank() == 1 ? bv.unsqueeze(1) : bv;
            Tensor g2 = g;
            if (av.rank() == 1) g2 = g2.unsqueeze(g2.rank() - (bv.rank() == 1 ? 0 : 1));
            if (bv.rank() == 1) g2 = g2.unsqueeze(g2.rank());
            Tensor ga = na ? gradA(g2, a2, b2).reshape(av.shape()) : null;
            Tensor gb = nb ? gradB(g2, a2, b2).reshape(bv.shape()) : null;
            return new Tensor[] {ga, gb};
        }, a, b);
    }

    /** dA = dC B^T, summed over batch dims A was broadcast along. */
    private static Tensor gradA(Tensor g, Tensor a, Tensor b) {
        if (a.rank() == 2 && g.rank() > 2 && b.rank() > 2) {
            // A shared across the batch: dA = sum_batch dC_i B_i^T = dC' [m, batch*n] x B' [batch*n, k].
            int m = g.dim(-2), k = b.dim(-2);
            Tensor gm = g.permute(permLast2First(g.rank())).reshape(m, -1);          // [m, (batch, n)]
            Tensor bm = b.expand(batchShape(g, k, b.dim(-1))).mT().reshape(-1, k);   // [(batch, n), k]
            return gm.matmul(bm);
        }
        return Grads.sumTo(g.matmul(b.mT()), a.shape());
    }

    /** dB = A^T dC, summed over batch dims B was broadcast along. */
    private static Tensor gradB(Tensor g, Tensor a, Tensor b) {
        if (b.rank() == 2 && g.rank() > 2) {
            // B shared across the batch (a linear layer): fold the batch into the rows, one GEMM.
            int k = a.dim(-1), n = g.dim(-1);
            Tensor am = a.expand(batchShape(g, a.dim(-2), k)).reshape(-1, k);
            return am.mT().matmul(g.reshape(-1, n));
        }
        return Grads.sumTo(a.mT().matmul(g), b.shape());
    }

    /** g's batch dims followed by [r, c]. */
    private static int[] batchShape(Tensor g, int r, int c) {
        int[] s = g.shape();
        s[s.length - 2] = r;
        s[s.length - 1] = c;
        return s;
    }

    /** Order moving dim rank-2 to the front: [rank-2, 0, 1, ..., rank-3, rank-1]. */
    private static int[] permLast2First(int rank) {
        int[] order = new int[rank];
        order[0] = rank - 2;
        for (int i = 1; i < rank - 1; i++) order[i] = i - 1;
        order[rank - 1] = rank - 1;
        return order;
    }
}
