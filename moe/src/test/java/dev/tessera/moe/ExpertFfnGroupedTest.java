package dev.tessera.moe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.autograd.GradCheck;
import dev.tessera.autograd.Variable;
import dev.tessera.nn.Parameter;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The packed-rows expert path against the padded capacity-buffer path it replaces in SparseMoE. */
class ExpertFfnGroupedTest {
    private static final int E = 4, D = 3, H = 5, C = 3;
    private static final int[] COUNTS = {2, 0, 3, 1};

    /** Row r of the packed input sits at slot (expert, position) of the padded buffer. */
    private static int[] slotOfRow() {
        int[] slots = new int[6];
        int r = 0;
        for (int e = 0; e < E; e++) for (int p = 0; p < COUNTS[e]; p++) slots[r++] = e * C + p;
        return slots;
    }

    private static List<double[]> grads(ExpertFfn ffn, Variable x) {
        List<double[]> out = new ArrayList<>();
        out.add(x.grad().toDoubleArray());
        for (Parameter p : ffn.parameters()) out.add(p.grad().toDoubleArray());
        return out;
    }

    @Test
    void groupedEqualsPaddedBufferInFloat64WithGradients() {
        ExpertFfn ffn = new ExpertFfn(E, D, H, DType.F64, new Rng(3));
        Tensor rows = Tensor.randn(new Rng(4), DType.F64, 6, D), up = Tensor.randn(new Rng(5), DType.F64, 6, D);
        Tensor slots = Tensor.of(slotOfRow(), 6);

        Variable xg = Variable.leaf(rows);
        Variable yg = ffn.forwardGrouped(xg, COUNTS);
        yg.mul(Variable.constant(up)).sum().backward();
        List<double[]> gGrouped = grads(ffn, xg);

        ffn.zeroGrad();
        Variable xp = Variable.leaf(rows);
        // padded buffer: the packed rows scattered into their slots, zeros elsewhere
        Variable buf = Variable.indexAdd(new int[] {E * C, D}, 0, slots, xp).reshape(E, C, D);
        Variable yp = ffn.forward(buf).reshape(E * C, D).indexSelect(0, slots);
        yp.mul(Variable.constant(up)).sum().backward();
        List<double[]> gPadded = grads(ffn, xp);

        assertArrayEquals(yp.value().toDoubleArray(), yg.value().toDoubleArray(), 1e-12);
        for (int i = 0; i < gPadded.size(); i++) assertArrayEquals(gPadded.get(i), gGrouped.get(i), 1e-12, "gradient " + i);
        GradCheck.assertGradients(v -> ffn.forwardGrouped(v[0], COUNTS).square().sum(), rows);
    }

    @Test
    void rejectsCountsThatDoNotMatchTheRows() {
        ExpertFfn ffn = new ExpertFfn(E, D, H, DType.F64, new Rng(3));
        Variable x = Variable.leaf(Tensor.zeros(DType.F64, 5, D));
        assertThrows(IllegalArgumentException.class, () -> ffn.forwardGrouped(x, COUNTS));
        assertThrows(IllegalArgumentException.class, () -> ffn.forwardGrouped(x, new int[] {5}));
        assertThrows(IllegalArgumentException.class, () -> ffn.forwardGrouped(x, new int[] {6, -1, 0, 0}));
    }
}
