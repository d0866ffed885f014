package dev.tessera.autograd;

import dev.tessera.tensor.Shape;
import dev.tessera.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;

/**
 * Reverse-mode backward over the recorded graph: an iterative depth-first search (no recursion,
 * graphs may be many thousands of ops deep) gives a topological order; gradients are accumulated
 * per node in an identity map and each node's rule runs once, after all its consumers.
 */
final class Engine {
    private Engine() {}

    static void backward(Variable root, Tensor seed, boolean retainGraph) {
        if (!root.requiresGrad()) {
            throw new IllegalStateException("backward: the output does not require grad (no input requires grad, "
                    + "or it was computed under Grad.disabled())");
        }
        if (!Shape.same(seed.shape(), root.value().shape())) {
            throw new IllegalArgumentException("backward: seed shape " + Shape.str(seed.shape())
                    + " differs from output shape " + Shape.str(root.value().shape()));
        }
        List<Variable> order = topologicalOrder(root);
        IdentityHashMap<Variable, Tensor> grads = new IdentityHashMap<>();
        grads.put(root, seed);
        for (int i = order.size() - 1; i >= 0; i--) {
            Variable v = order.get(i);
            Tensor g = grads.remove(v);
            if (!v.hasHistory()) {
                if (g != null) v.accumulateGrad(g);
                continue;
            }
            if (v.backwardFn == null) {
                throw new IllegalStateException("backward: the graph through op '" + v.op
                        + "' was already freed by an earlier backward; pass retainGraph = true to backward twice");
            }
            Variable[] inputs = v.inputs;
            if (g != null) {
                Tensor[] gs = v.backwardFn.apply(g);
                if (gs.length != inputs.length) {
                    throw new IllegalStateException("backward of '" + v.op + "': returned " + gs.length
                            + " gradients for " + inputs.length + " inputs");
                }
                for (int j = 0; j < inputs.length; j++) {
                    Variable in = inputs[j];
                    Tensor gj = gs[j];
                    if (in == null || gj == null || !in.requiresGrad()) continue;
                    if (!Shape.same(gj.shape(), in.value().shape())) {
                        throw new IllegalStateException("backward of '" + v.op + "': gradient " + Shape.str(gj.shape())
                                + " for input " + j + " of shape " + Shape.str(in.value().shape()));
                    }
                    if (gj.dtype() != in.dtype()) gj = gj.to(in.dtype());
                    Tensor prev = grads.get(in);
                    grads.put(in, prev == null ? gj : prev.add(gj));
                }
            }
            if (!retainGraph) v.release();
        }
    }

    /** Post-order of the nodes that require grad, reachable from root (inputs before consumers). */
    private static List<Variable> topologicalOrder(Variable root) {
        List<Variable> order = new ArrayList<>();
        IdentityHashMap<Variable, Boolean> seen = new IdentityHashMap<>();
        // Explicit DFS stack: the node and the index of its next input to visit.
        Variable[] stack = new Variable[64];
        int[] next = new int[64];
        int top = 0;
        stack[0] = root;
        seen.put(root, Boolean.TRUE);
        while (top >= 0) {
            Variable v = stack[top];
            Variable[] inputs = v.inputs;
            int i = next[top];
            // Advance to the next unvisited input that needs a gradient.
            while (inputs != null && i < inputs.length
                    && (inputs[i] == null || !inputs[i].requiresGrad() || seen.containsKey(inputs[i]))) i++;
            if (inputs != null && i < inputs.length) {
                next[top] = i + 1;
                Variable child = inputs[i];
                seen.put(child, Boolean.TRUE);
                if (++top == stack.length) {
                    stack = Arrays.copyOf(stack, 2 * top);
                    next = Arrays.copyOf(next, 2 * top);
                }
                stack[top] = child;
                next[top] = 0;
            } else {
                stack[top--] = null;
                order.add(v);
            }
        }
        return order;
    }
}
