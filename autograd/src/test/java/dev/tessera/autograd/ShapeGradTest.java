package dev.tessera.autograd;

import static dev.tessera.autograd.GradCheck.assertGradients;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Float64 gradchecks of the shape ops (views, copies, joins and splits). */
class ShapeGradTest {
    private final Inputs in = new Inputs(13);

    @Test
    @GradChecked({"reshape(int[])", "flatten()", "permute(int[])", "transpose(int,int)", "mT()", "contiguous()"})
    void views() {
        Tensor a = in.signed(2, 3, 4).transpose(0, 2);   // [4,3,2] non-contiguous
        assertGradients(v -> v[0].reshape(6, -1).tanh(), a);
        assertGradients(v -> v[0].flatten().sin(), a);
        assertGradients(v -> v[0].permute(1, 2, 0).sin(), a);
        assertGradients(v -> v[0].transpose(0, -1).sin(), a);
        assertGradients(v -> v[0].mT().sin(), a);
        assertGradients(v -> v[0].contiguous().sin(), a);
    }

    @Test
    @GradChecked({"slice(int,int,int,int)", "slice(int,int,int)", "narrow(int,int,int)", "select(int,int)"})
    void slicing() {
        Tensor a = in.signed(5, 4).transpose(0, 1);   // [4,5]
        assertGradients(v -> v[0].slice(1, 1, 5, 2).sin(), a);
        assertGradients(v -> v[0].slice(0, -3, 10, 3).sin(), a);
        assertGradients(v -> v[0].slice(1, 1, -1).sin(), a);
        assertGradients(v -> v[0].narrow(0, 1, 2).sin(), a);
        assertGradients(v -> v[0].narrow(1, 0, 5).sin(), a);
        assertGradients(v -> v[0].select(1, 2).sin(), a);
        assertGradients(v -> v[0].select(0, -1).sin(), a);
    }

    @Test
    @GradChecked({"expand(int[])", "broadcastTo(int[])", "unsqueeze(int)", "squeeze(int)", "squeeze()"})
    void broadcastAndSqueeze() {
        Tensor a = in.signed(3, 1);
        assertGradients(v -> v[0].expand(2, 3, 4).sin(), a);
        assertGradients(v -> v[0].expand(-1, 5).sin(), a);
        assertGradients(v -> v[0].broadcastTo(2, 3, 4).sin(), a);
        assertGradients(v -> v[0].unsqueeze(0).sin(), a);
        assertGradients(v -> v[0].unsqueeze(-1).sin(), a);
        assertGradients(v -> v[0].squeeze(1).sin(), a);
        assertGradients(v -> v[0].squeeze().sin(), in.signed(1, 3, 1, 2));
    }

    @Test
    @GradChecked({"to(DType)", "pad(int[],double)"})
    void conversionAndPad() {
        Tensor a = in.signed(3, 2).transpose(0, 1);
        // Finite differences of 1e-6 are below F32 resolution, so the conversion is checked by hand:
        // y = sum(float(x) * c) has dy/dx = c, returned in x's dtype.
        Variable x = Variable.leaf(a);
        Variable y = x.to(DType.F32);
        assertEquals(DType.F32, y.dtype());
        Variable c = Variable.constant(Tensor.of(new float[] {1.5f, -2f, 0.25f, 3f, 4f, -1f}, 2, 3));
        y.mul(c).sum().backward();
        assertEquals(DType.F64, x.grad().dtype());
        assertArrayEquals(new double[] {1.5, -2, 0.25, 3, 4, -1}, x.grad().toDoubleArray(), 0);
        assertSame(x, x.to(DType.F64), "converting to the same dtype is the identity");
        assertGradients(v -> v[0].pad(new int[] {1, 0, 2, 3}, 0.5).sin(), a);
    }

    @Test
    @GradChecked({"concat(int,Variable[])", "stack(int,Variable[])", "split(int,int[])", "chunk(int,int)"})
    void joinAndSplit() {
        Tensor a = in.signed(2, 3), b = in.signed(4, 2).transpose(0, 1), c = in.signed(2, 3);
        assertGradients(v -> Variable.concat(1, v[0], v[1], v[0]).sin(), a, b);
        assertGradients(v -> Variable.stack(0, v[0], v[1]).sin(), a, c);
        assertGradients(v -> Variable.stack(-1, v[0], v[1], v[0]).sin(), a, c);
        assertGradients(v -> {
            Variable[] p = v[0].split(1, 1, 3);
            return p[0].mul(p[1]);
        }, b);
        assertGradients(v -> {
            Variable[] p = v[0].chunk(2, 1);   // sizes 2 and 2
            return p[0].sin().add(p[1].square());
        }, b);
        assertGradients(v -> {
            Variable[] p = v[0].chunk(2, 0);
            return p[1].sin();                 // only one piece used: the other gets zero gradient
        }, b);
    }
}
