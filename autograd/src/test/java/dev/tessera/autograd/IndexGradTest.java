package dev.tessera.autograd;

import static dev.tessera.autograd.GradCheck.assertGradients;

import dev.tessera.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Float64 gradchecks of the indexing ops, with repeated indices so gradients must accumulate. */
class IndexGradTest {
    private final Inputs in = new Inputs(14);

    @Test
    @GradChecked({"gather(int,Tensor)", "scatterAdd(int,Tensor,Variable)"})
    void gatherAndScatterAdd() {
        Tensor x = in.signed(4, 3).transpose(0, 1);        // [3,4]
        Tensor idx = in.indices(4, 3, 5);                  // repeats along dim 1
        assertGradients(v -> v[0].gather(1, idx).sin(), x);
        Tensor idx0 = in.indices(3, 2, 4);
        assertGradients(v -> v[0].gather(0, idx0).sin(), x);
        Tensor src = in.signed(3, 5);
        assertGradients(v -> v[0].scatterAdd(1, idx, v[1]).sin(), x, src);
        // index smaller than src: the uncovered part of src gets zero gradient
        Tensor small = in.indices(4, 2, 3);
        assertGradients(v -> v[0].scatterAdd(1, small, v[1]).sin(), x, in.signed(3, 5));
    }

    @Test
    @GradChecked({"indexSelect(int,Tensor)", "indexAdd(int[],int,Tensor,Variable)"})
    void indexSelectAndIndexAdd() {
        Tensor x = in.signed(4, 3).transpose(0, 1);
        Tensor idx = Tensor.of(new int[] {3, 0, 3, 1, 3});
        assertGradients(v -> v[0].indexSelect(1, idx).sin(), x);
        assertGradients(v -> v[0].indexSelect(0, Tensor.of(new int[] {2, 2, 0})).sin(), x);
        assertGradients(v -> Variable.indexAdd(new int[] {3, 4}, 1, idx, v[0]).sin(), in.signed(3, 5));
        assertGradients(v -> Variable.indexAdd(new int[] {6, 2}, 0, Tensor.of(new int[] {5, 0, 5}), v[0]).sin(), in.signed(3, 2));
    }

    @Test
    @GradChecked({"cumsum(int)", "topkValues(int,int,boolean)"})
    void cumsumAndTopk() {
        Tensor x = in.signed(4, 3).transpose(0, 1);
        assertGradients(v -> v[0].cumsum(1).sin(), x);
        assertGradients(v -> v[0].cumsum(0).sin(), x);
        Tensor d = in.distinct(3, 5).transpose(0, 1);     // [5,3]
        assertGradients(v -> v[0].topkValues(2, 0, true).sin(), d);
        assertGradients(v -> v[0].topkValues(3, 1, false).sin(), d);
    }
}
