package dev.tessera.tensor.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Round trips of {@link TensorFiles}: every dtype, views of every kind, metadata, file order. */
class TensorFilesTest {
    @TempDir
    Path dir;

    private static Tensor random(Random r, DType dt, int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = dt == DType.I32 ? r.nextInt(2001) - 1000 : dt == DType.BOOL ? r.nextInt(2) : r.nextGaussian();
        return Tensor.of(v, shape).to(dt);
    }

    /** The raw row-major carrier array of a tensor (bits, not values, for floats). */
    private static Object raw(Tensor t) {
        return t.backend().toArray(t);
    }

    private static void assertSameContents(String what, Tensor want, Tensor got) {
        assertEquals(want.dtype(), got.dtype(), what);
        assertArrayEquals(want.shape(), got.shape(), what);
        Object a = raw(want), b = raw(got);
        switch (want.dtype()) {
            case F32 -> {
                float[] x = (float[]) a, y = (float[]) b;
                for (int i = 0; i < x.length; i++) assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(y[i]), what);
            }
            case F64 -> {
                double[] x = (double[]) a, y = (double[]) b;
                for (int i = 0; i < x.length; i++) assertEquals(Double.doubleToRawLongBits(x[i]), Double.doubleToRawLongBits(y[i]), what);
            }
            case I32 -> assertArrayEquals((int[]) a, (int[]) b, what);
            case BOOL -> assertArrayEquals((boolean[]) a, (boolean[]) b, what);
            case BF16 -> assertArrayEquals((short[]) a, (short[]) b, what);
        }
    }

    @Test
    void everyDtypeAndLayoutRoundTrips() throws Exception {
        Random r = new Random(101);
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (DType dt : DType.values()) {
            String p = dt.name().toLowerCase() + ".";
            m.put(p + "plain", random(r, dt, 3, 5));
            m.put(p + "transposed", random(r, dt, 4, 6).mT());
            m.put(p + "sliced", random(r, dt, 7, 9).slice(0, 1, 7, 3).slice(1, 2, 9, 2));
            m.put(p + "expanded", random(r, dt, 3, 1).expand(2, 3, 4));
            m.put(p + "permuted", random(r, dt, 2, 3, 4).permute(2, 0, 1));
            m.put(p + "scalar", random(r, dt, 3).select(0, 2));
            m.put(p + "empty", random(r, dt, 0, 4));
        }
        m.put("f32.special", Tensor.of(new float[] {Float.NaN, Float.POSITIVE_INFINITY, -0f, Float.MIN_VALUE}));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("step", "100");
        meta.put("note", "quote \" backslash \\ unicode \u00e9");
        Path f = dir.resolve("all.safetensors");
        TensorFiles.save(f, m, meta);
        TensorFiles.Loaded back = TensorFiles.read(f);
        assertEquals(meta, back.metadata());
        assertEquals(List.copyOf(m.keySet()), List.copyOf(back.tensors().keySet()), "file order is the map's order");
        for (var e : m.entrySet()) {
            Tensor got = back.tensors().get(e.getKey());
            assertSameContents(e.getKey(), e.getValue(), got);
            assertTrue(got.isContiguous());
        }
        assertEquals(m.size(), TensorFiles.load(f).size());
    }

    @Test
    void viewsAreWrittenInTheirOwnRowMajorOrder() throws Exception {
        Tensor t = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).mT();
        Path f = dir.resolve("t.safetensors");
        TensorFiles.save(f, Map.of("t", t));
        SafeTensors.Entry e = SafeTensors.read(f).entry("t");
        assertArrayEquals(new long[] {3, 2}, e.shape());
        ByteBuffer b = e.data();
        float[] got = new float[6];
        for (int i = 0; i < 6; i++) got[i] = b.getFloat(4 * i);
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, got);
        assertTrue(TensorFiles.read(f).metadata().isEmpty());
    }

    @Test
    void boolBytesOtherThanOneReadAsTrue() throws Exception {
        Path f = dir.resolve("b.safetensors");
        ByteBuffer b = ByteBuffer.wrap(new byte[] {0, 1, 2, (byte) 255});
        SafeTensors.write(f, List.of(new SafeTensors.Entry("m", DType.BOOL, new long[] {4}, b)), Map.of());
        assertArrayEquals(new boolean[] {false, true, true, true}, TensorFiles.load(f).get("m").toBooleanArray());
    }

    @Test
    void errorsNameTheTensor() {
        Path f = dir.resolve("x.safetensors");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TensorFiles.save(f, Map.of("__metadata__", Tensor.zeros(DType.F32, 1))));
        assertTrue(e.getMessage().contains("__metadata__"), e.getMessage());
        assertTrue(!Files.exists(f));
    }
}
