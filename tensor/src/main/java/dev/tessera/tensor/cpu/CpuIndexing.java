package dev.tessera.tensor.cpu;

import dev.tessera.tensor.Tensor;

/** Indexing kernels of the CPU backend (being implemented). */
final class CpuIndexing {
    private CpuIndexing() {}

    private static UnsupportedOperationException missing(String op) {
        return new UnsupportedOperationException("CPU backend: " + op + " is not implemented yet");
    }

    static Tensor gather(Tensor x, int dim, Tensor index) { throw missing("gather"); }
    static Tensor scatterAdd(Tensor base, int dim, Tensor index, Tensor src) { throw missing("scatterAdd"); }
    static Tensor indexSelect(Tensor x, int dim, Tensor index) { throw missing("indexSelect"); }
    static Tensor indexAdd(int[] shape, int dim, Tensor index, Tensor src) { throw missing("indexAdd"); }
    static Tensor oneHot(Tensor index, int classes) { throw missing("oneHot"); }
    static Tensor[] topk(Tensor x, int k, int dim, boolean largest) { throw missing("topk"); }
    static Tensor[] sort(Tensor x, int dim, boolean descending) { throw missing("sort"); }
    static Tensor cumsum(Tensor x, int dim) { throw missing("cumsum"); }
    static Tensor bincount(Tensor x, int minLength) { throw missing("bincount"); }
}
