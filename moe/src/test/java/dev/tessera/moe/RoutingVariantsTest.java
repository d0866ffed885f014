package dev.tessera.moe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.autograd.GradCheck;
import dev.tessera.autograd.Variable;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import org.junit.jupiter.api.Test;

class RoutingVariantsTest {

    @Test
    void dropByProbabilityKeepsTheMostProbableAssignments() {
        // 4 tokens, 2 experts, k = 1, capacity 2: all choose expert 0
        int[] choice = {0, 0, 0, 0};
        double[] priority = {0.6, 0.9, 0.6, 0.8};
        Dispatch p = Dispatch.planByPriority(choice, priority, 4, 2, 1, 2);
        // highest: t1 (0.9), t3 (0.8); t0 and t2 tie at 0.6 and are both dropped
        assertArrayEquals(new int[] {1, 3, -1, -1}, p.slotToken());
        assertArrayEquals(new int[] {1, 3}, p.keptToken());
        // capacity 3: of the tie, the earlier position (t0) wins
        assertArrayEquals(new int[] {1, 3, 0}, Dispatch.planByPriority(choice, priority, 4, 2, 1, 3).keptToken());
    }

    @Test
    void layerDropsByProbability() {
        int d = 3;
        var o = new SparseMoE.Options(2, 1, 0.5, 0, 0, 0, DropPolicy.PROBABILITY, RouterKind.TOKEN_CHOICE);
        var moe = new SparseMoE(d, 4, o, DType.F64, new Rng(1));
        moe.router().weight().value().copyFrom(Tensor.of(new double[] {1, 0, 0, 0, 0, 0}, 2, 3));
        // all tokens prefer expert 0 with probability rising in x[0]; capacity ceil(0.5 * 4 / 2) = 1
        Tensor x = Tensor.of(new double[] {1, 0, 0, 3, 0, 0, 2, 0, 0, 0.5, 0, 0}, 4, d);
        Tensor y = moe.forward(Variable.constant(x)).value();
        for (int t = 0; t < 4; t++) {
            double norm = 0;
            for (int j = 0; j < d; j++) norm += Math.abs(y.get(t, j));
            assertEquals(t == 1, norm > 0, "only token 1 (largest probability) is kept, token " + t);
        }
    }

    @Test
    void expertChoiceMatchesANaiveLoop() {
        int d = 4, e = 3, t = 7, k = 1;
        var o = new SparseMoE.Options(e, k, 1.0, 0, 0, 0, DropPolicy.POSITION, RouterKind.EXPERT_CHOICE);
        var moe = new SparseMoE(d, 5, o, DType.F64, new Rng(2));
        Tensor x = Tensor.randn(new Rng(3), DType.F64, t, d);
        Tensor y = moe.forward(Variable.constant(x)).value();
        int c = (int) Math.ceil(1.0 * k * t / e);   // 3
        double[] w = moe.router().weight().value().toDoubleArray();
        double[][] p = new double[t][e];
        for (int i = 0; i < t; i++) {
            double s = 0;
            for (int j = 0; j < e; j++) {
                double l = 0;
                for (int q = 0; q < d; q++) l += x.get(i, q) * w[j * d + q];
                p[i][j] = Math.exp(l);
                s += p[i][j];
            }
            for (int j = 0; j < e; j++) p[i][j] /= s;
        }
        double[][] want = new double[t][d];
        boolean[] covered = new boolean[t];
        for (int j = 0; j < e; j++) {
            boolean[] taken = new boolean[t];
            for (int r = 0; r < c; r++) {
                int best = -1;
                for (int i = 0; i < t; i++) if (!taken[i] && (best < 0 || p[i][j] > p[best][j])) best = i;
                taken[best] = true;
                covered[best] = true;
                double[] out = moe.experts().forwardOne(j, Variable.constant(x.select(0, best).reshape(1, d))).value().toDoubleArray();
                for (int q = 0; q < d; q++) want[best][q] += p[best][j] * out[q];
            }
        }
        for (int i = 0; i < t; i++) for (int q = 0; q < d; q++) assertEquals(want[i][q], y.get(i, q), 1e-12, "token " + i);
        int none = 0;
        for (boolean b : covered) if (!b) none++;
        assertArrayEquals(new int[] {c, c, c}, moe.lastStats().load());
        assertEquals((double) none / t, moe.lastStats().droppedFraction(), 1e-15);
        Variable cx = Variable.constant(x);
        GradCheck.assertGradients(v -> moe.forward(v[0]).square().sum(), x);
        ParamCheck.assertParamGradients(moe, () -> moe.forward(cx).square().sum(), 1e-6, 1e-5);
        assertThrows(IllegalArgumentException.class,
                () -> new SparseMoE.Options(e, k, 0.0, 0, 0, 0, DropPolicy.POSITION, RouterKind.EXPERT_CHOICE));
    }

    @Test
    void factoryBuildsTheConfiguredLayer() {
        SparseMoE ffn = MoeFfn.of(6, 8, MoeFfn.Config.DEFAULT, DType.F32, new Rng(0));
        assertEquals(8, ffn.options().experts());
        assertEquals(2, ffn.options().topK());
        Tensor x = Tensor.randn(new Rng(1), DType.F32, 2, 5, 6);
        assertArrayEquals(new int[] {2, 5, 6}, ffn.forward(Variable.constant(x)).shape());
        assertEquals(Dispatch.capacity(1.25, 2, 10, 8), ffn.lastStats().capacity());
        assertEquals(DType.F32, ffn.auxLoss().dtype());
    }
}
