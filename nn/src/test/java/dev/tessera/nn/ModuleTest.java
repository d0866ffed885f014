package dev.tessera.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.autograd.Variable;
import dev.tessera.nn.layers.Activation;
import dev.tessera.nn.layers.Dropout;
import dev.tessera.nn.layers.LayerNorm;
import dev.tessera.nn.layers.Linear;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModuleTest {
    static final class Block extends Module implements Layer {
        final Linear wq;
        final LayerNorm norm;
        final Dropout drop;

        Block(Rng rng) {
            wq = child("wq", new Linear(3, 3, rng));
            norm = child("norm", new LayerNorm(3));
            drop = child("drop", new Dropout(0.5, 9L));
        }

        @Override
        public Variable forward(Variable x) {
            return drop.forward(norm.forward(wq.forward(x)));
        }
    }

    static final class Encoder extends Module {
        final ModuleList<Block> layers = child("layers", new ModuleList<>());

        Encoder(Rng rng, int depth) {
            for (int i = 0; i < depth; i++) layers.add(new Block(rng));
        }
    }

    static final class Model extends Module implements Layer {
        final Encoder encoder;
        final Linear head;

        Model(Rng rng) {
            encoder = child("encoder", new Encoder(rng, 2));
            head = child("head", new Linear(3, 1, rng));
            buffer("steps", Tensor.of(new float[] {7f}, 1));
        }

        @Override
        public Variable forward(Variable x) {
            for (Block b : encoder.layers) x = b.forward(x);
            return head.forward(x);
        }
    }

    /** Shares the weight of {@code a} with {@code b}. */
    static final class Tied extends Module {
        final Parameter w;

        Tied() {
            w = param("a", Tensor.ones(DType.F32, 2, 2));
            param("b", w);
            param("c", Tensor.ones(DType.F32, 3));
        }
    }

    @Test
    void dottedNamesInRegistrationOrder() {
        Model m = new Model(new Rng(1));
        assertEquals(List.of(
                "encoder.layers.0.wq.weight", "encoder.layers.0.wq.bias", "encoder.layers.0.norm.weight", "encoder.layers.0.norm.bias",
                "encoder.layers.1.wq.weight", "encoder.layers.1.wq.bias", "encoder.layers.1.norm.weight", "encoder.layers.1.norm.bias",
                "head.weight", "head.bias"), List.copyOf(m.namedParameters().keySet()));
        assertEquals(List.copyOf(m.namedParameters().values()), m.parameters());
        assertEquals(2 * (9 + 3 + 3 + 3) + 3 + 1, m.numParameters());
        assertTrue(m.stateDict().containsKey("steps"));
        assertEquals(11, m.stateDict().size());
        assertSame(m.head, m.namedModules().get("head"));
        assertSame(m.encoder.layers.get(1).norm, m.namedModules().get("encoder.layers.1.norm"));
        assertSame(m, m.namedModules().get(""));
    }

    @Test
    void tiedParametersCountOnceButLoadUnderEveryName() {
        Tied t = new Tied();
        assertEquals(List.of("a", "c"), List.copyOf(t.namedParameters().keySet()));
        assertEquals(7, t.numParameters());
        assertEquals(List.of("a", "b", "c"), List.copyOf(t.stateDict().keySet()));
    }

    @Test
    void registrationRejectsBadAndDuplicateNames() {
        class Bad extends Module {
            void add(String n) {
                param(n, Tensor.zeros(DType.F32, 1));
            }
        }
        Bad b = new Bad();
        b.add("x");
        assertThrows(IllegalArgumentException.class, () -> b.add("x"));
        assertThrows(IllegalArgumentException.class, () -> b.add("a.b"));
        assertThrows(IllegalArgumentException.class, () -> b.add(""));
        assertThrows(IllegalArgumentException.class, () -> new Parameter("i", Tensor.zeros(DType.I32, 2)));
    }

    @Test
    void stateDictRoundTripCopiesInPlace() {
        Model a = new Model(new Rng(1)), b = new Model(new Rng(2));
        Tensor before = b.head.weight().value();
        Map<String, Tensor> sd = new LinkedHashMap<>();
        a.stateDict().forEach((k, v) -> sd.put(k, v.copy()));
        sd.put("steps", Tensor.of(new float[] {42f}, 1));
        b.loadStateDict(sd);
        assertSame(before, b.head.weight().value(), "loading must copy into the existing tensor");
        for (var e : a.namedParameters().entrySet()) {
            assertArrayEquals(e.getValue().value().toFloatArray(), b.namedParameters().get(e.getKey()).value().toFloatArray(), e.getKey());
        }
        assertEquals(42f, b.stateDict().get("steps").item());
        Tensor x = Tensor.randn(new Rng(3), DType.F32, 4, 3);
        a.eval();
        b.eval();
        assertArrayEquals(a.forward(Variable.constant(x)).value().toFloatArray(), b.forward(Variable.constant(x)).value().toFloatArray());
    }

    @Test
    void loadStateDictNamesEveryProblem() {
        Model m = new Model(new Rng(1));
        Map<String, Tensor> sd = new LinkedHashMap<>(m.stateDict());
        sd.remove("head.bias");
        sd.put("head.extra", Tensor.zeros(DType.F32, 1));
        sd.put("encoder.layers.0.wq.weight", Tensor.zeros(DType.F32, 3, 4));
        var e = assertThrows(IllegalArgumentException.class, () -> m.loadStateDict(sd, true));
        assertTrue(e.getMessage().contains("missing keys [head.bias]"), e.getMessage());
        assertTrue(e.getMessage().contains("unexpected keys [head.extra]"), e.getMessage());
        assertTrue(e.getMessage().contains("encoder.layers.0.wq.weight: checkpoint [3,4], model [3,3]"), e.getMessage());
        // non-strict: missing/unexpected are tolerated but a shape mismatch still fails
        var e2 = assertThrows(IllegalArgumentException.class, () -> m.loadStateDict(sd, false));
        assertFalse(e2.getMessage().contains("missing"), e2.getMessage());
        sd.put("encoder.layers.0.wq.weight", Tensor.zeros(DType.F32, 3, 3));
        float[] biasBefore = m.head.bias().value().toFloatArray();
        assertEquals(List.of("head.extra"), m.loadStateDict(sd, false));
        assertArrayEquals(new float[9], m.encoder.layers.get(0).wq.weight().value().toFloatArray());
        assertArrayEquals(biasBefore, m.head.bias().value().toFloatArray());
    }

    @Test
    void failedLoadChangesNothing() {
        Model m = new Model(new Rng(1));
        float[] w = m.head.weight().value().toFloatArray();
        Map<String, Tensor> sd = new LinkedHashMap<>();
        m.stateDict().forEach((k, v) -> sd.put(k, v.zerosLike()));
        sd.put("head.bias", Tensor.zeros(DType.F32, 2));
        assertThrows(IllegalArgumentException.class, () -> m.loadStateDict(sd, true));
        assertArrayEquals(w, m.head.weight().value().toFloatArray());
    }

    @Test
    void trainEvalIsRecursive() {
        Model m = new Model(new Rng(1));
        assertTrue(m.encoder.layers.get(1).drop.isTraining());
        m.eval();
        for (Module sub : m.namedModules().values()) assertFalse(sub.isTraining());
        m.train();
        for (Module sub : m.namedModules().values()) assertTrue(sub.isTraining());
    }

    @Test
    void toDtypeConvertsParametersAndBuffersAndDropsGradients() {
        Model m = new Model(new Rng(1));
        float[] w = m.head.weight().value().toFloatArray();
        Variable out = m.forward(Variable.constant(Tensor.ones(DType.F32, 2, 3))).sum();
        out.backward();
        assertTrue(m.head.weight().grad() != null);
        m.to(DType.F64);
        for (Tensor t : m.stateDict().values()) assertEquals(DType.F64, t.dtype());
        assertNull(m.head.weight().grad());
        assertTrue(m.head.weight().requiresGrad());
        double[] w64 = m.head.weight().value().toDoubleArray();
        for (int i = 0; i < w.length; i++) assertEquals(w[i], w64[i]);
        m.to(dev.tessera.tensor.Device.cpu());
        assertEquals(DType.F64, m.head.weight().value().dtype());
    }

    @Test
    void zeroGradDropsEveryGradient() {
        Model m = new Model(new Rng(1));
        m.forward(Variable.constant(Tensor.ones(DType.F32, 2, 3))).sum().backward();
        assertTrue(m.parameters().stream().allMatch(p -> p.grad() != null));
        m.zeroGrad();
        assertTrue(m.parameters().stream().allMatch(p -> p.grad() == null));
    }

    @Test
    void frozenParameterGetsNoGradient() {
        Linear l = new Linear(2, 2, new Rng(1));
        l.weight().setRequiresGrad(false);
        l.forward(Variable.constant(Tensor.ones(DType.F32, 1, 2))).sum().backward();
        assertNull(l.weight().grad());
        assertTrue(l.bias().grad() != null);
        l.weight().setRequiresGrad(true);
        assertTrue(l.weight().requiresGrad());
    }

    @Test
    void sequentialRegistersModulesByPosition() {
        Rng rng = new Rng(5);
        Sequential s = new Sequential(new Linear(2, 4, rng), Activation.TANH, new Linear(4, 1, rng));
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), List.copyOf(s.namedParameters().keySet()));
        assertEquals(3, s.size());
        Tensor x = Tensor.of(new float[] {0.5f, -1f}, 1, 2);
        Linear l0 = (Linear) s.layers().get(0), l2 = (Linear) s.layers().get(2);
        Tensor expected = l2.forward(l0.forward(Variable.constant(x)).tanh()).value();
        assertArrayEquals(expected.toFloatArray(), s.forward(Variable.constant(x)).value().toFloatArray());
        Sequential copy = new Sequential(new Linear(2, 4, new Rng(9)), Activation.TANH, new Linear(4, 1, new Rng(9)));
        copy.loadStateDict(s.stateDict());
        assertArrayEquals(expected.toFloatArray(), copy.forward(Variable.constant(x)).value().toFloatArray());
        assertNotSame(copy.layers().get(0), s.layers().get(0));
    }

    @Test
    void moduleListIndexing() {
        ModuleList<Linear> list = new ModuleList<>();
        Rng rng = new Rng(1);
        list.add(new Linear(1, 1, rng));
        list.add(new Linear(1, 2, rng));
        assertEquals(2, list.get(1).outFeatures());
        assertThrows(IndexOutOfBoundsException.class, () -> list.get(2));
        assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias"), List.copyOf(list.namedParameters().keySet()));
    }
}
