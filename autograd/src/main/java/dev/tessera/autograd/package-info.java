/**
 * Reverse-mode automatic differentiation over {@link dev.tessera.tensor.Tensor} operations:
 * {@link dev.tessera.autograd.Variable} (a graph node with a value and, after
 * {@link dev.tessera.autograd.Variable#backward()}, a gradient), {@link dev.tessera.autograd.Grad}
 * (recording on/off per thread), {@link dev.tessera.autograd.Backward} (custom derivative rules) and
 * {@link dev.tessera.autograd.GradCheck} (float64 finite differences). Every derivative rule is written
 * with tensor operations, so it runs on every backend.
 *
 * <pre>{@code
 * Variable w = Variable.leaf(Tensor.randn(new Rng(1), DType.F32, 3, 1));
 * Variable loss = Variable.constant(x).matmul(w).sub(Variable.constant(y)).square().mean();
 * loss.backward();                 // w.grad() holds d loss / d w
 * }</pre>
 */
package dev.tessera.autograd;
