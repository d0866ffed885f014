package dev.tessera.tensor.cpu;

import dev.tessera.tensor.Tensor;

/** Fused kernels of the CPU backend (being implemented). */
final class CpuFused {
    private CpuFused() {}

    private static UnsupportedOperationException missing(String op) {
        return new UnsupportedOperationException("CPU backend: " + op + " is not implemented yet");
    }

    static Tensor softmax(Tensor x, int dim) { throw missing("softmax"); }
    static Tensor logSoftmax(Tensor x, int dim) { throw missing("logSoftmax"); }
    static Tensor softmaxBackward(Tensor y, Tensor gy, int dim) { throw missing("softmaxBackward"); }
    static Tensor logSoftmaxBackward(Tensor y, Tensor gy, int dim) { throw missing("logSoftmaxBackward"); }
    static Tensor[] layerNorm(Tensor x, Tensor gamma, Tensor beta, double eps) { throw missing("layerNorm"); }
    static Tensor[] layerNormBackward(Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor gy, boolean need) { throw missing("layerNormBackward"); }
    static Tensor[] rmsNorm(Tensor x, Tensor gamma, double eps) { throw missing("rmsNorm"); }
    static Tensor[] rmsNormBackward(Tensor x, Tensor gamma, Tensor rstd, Tensor gy, boolean need) { throw missing("rmsNormBackward"); }
    static Tensor[] crossEntropy(Tensor logits, Tensor targets, int ignoreIndex, double ls) { throw missing("crossEntropy"); }
    static Tensor crossEntropyBackward(Tensor logProbs, Tensor targets, Tensor gLoss, int ignoreIndex, double ls) { throw missing("crossEntropyBackward"); }
    static void adamWStep(Tensor p, Tensor g, Tensor m, Tensor v, double lr, double b1, double b2, double eps, double wd, long step) { throw missing("adamWStep"); }
}
