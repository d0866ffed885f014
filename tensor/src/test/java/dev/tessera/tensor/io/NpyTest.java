package dev.tessera.tensor.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.tensor.DType;
import dev.tessera.tensor.Rng;
import dev.tessera.tensor.Tensor;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads the files written by NumPy in {@code src/test/resources/npy} (see make_npy.py there) and round-trips our writer. */
class NpyTest {
    @TempDir
    Path tmp;

    private static Path res(String name) {
        try {
            return Path.of(NpyTest.class.getResource("/npy/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void float32MatrixIsReadExactly() throws IOException {
        Tensor t = Npy.read(res("f4_2x3.npy"));
        assertEquals(DType.F32, t.dtype());
        assertArrayEquals(new int[] {2, 3}, t.shape());
        assertArrayEquals(new float[] {0.1f, -1.5f, 2.0f, (float) (1.0 / 3), 1e-7f, 65504f}, t.toFloatArray());
        Npy.Header h = Npy.readHeader(res("f4_2x3.npy"));
        assertEquals(1, h.major());
        assertEquals("<f4", h.descr());
        assertEquals(128, h.dataOffset());
    }

    @Test
    void float64AndBigEndianAreReadExactly() throws IOException {
        Tensor t = Npy.read(res("f8_4.npy"));
        assertEquals(DType.F64, t.dtype());
        assertArrayEquals(new double[] {0.1, -2.5, 1.0 / 3, 1e300}, t.toDoubleArray());
        Tensor be = Npy.read(res("f8be_3.npy"));
        assertEquals(">f8", Npy.readHeader(res("f8be_3.npy")).descr());
        assertArrayEquals(new double[] {1.25, -0.1, 3.0}, be.toDoubleArray());
    }

    @Test
    void integerAndBoolArrays() throws IOException {
        Tensor i4 = Npy.read(res("i4_3.npy"));
        assertEquals(DType.I32, i4.dtype());
        assertArrayEquals(new int[] {7, -3, Integer.MAX_VALUE}, i4.toIntArray());
        Tensor i8 = Npy.read(res("i8_2x2.npy"));
        assertEquals(DType.I32, i8.dtype());
        assertArrayEquals(new int[] {2, 2}, i8.shape());
        assertArrayEquals(new int[] {1, -2, 3, 4}, i8.toIntArray());
        var e = assertThrows(IllegalArgumentException.class, () -> Npy.read(res("i8_big.npy")));
        assertTrue(e.getMessage().contains("1099511627776") && e.getMessage().contains("flat index 1"), e.getMessage());
        Tensor b = Npy.read(res("b1_3.npy"));
        assertEquals(DType.BOOL, b.dtype());
        assertArrayEquals(new boolean[] {true, false, true}, b.toBooleanArray());
    }

    @Test
    void scalarAndEmptyArrays() throws IOException {
        Tensor s = Npy.read(res("f4_scalar.npy"));
        assertEquals(0, s.rank());
        assertEquals(2.5, s.item());
        Tensor z = Npy.read(res("f4_0x3.npy"));
        assertArrayEquals(new int[] {0, 3}, z.shape());
        assertEquals(0, z.numel());
    }

    @Test
    void formatVersions2And3() throws IOException {
        float[] want = {0f, 0.125f, 0.25f, 0.375f, 0.5f, 0.625f};
        for (String f : new String[] {"f4_2x3_v2.npy", "f4_2x3_v3.npy"}) {
            Tensor t = Npy.read(res(f));
            assertArrayEquals(new int[] {2, 3}, t.shape(), f);
            assertArrayEquals(want, t.toFloatArray(), f);
        }
        assertEquals(2, Npy.readHeader(res("f4_2x3_v2.npy")).major());
        assertEquals(3, Npy.readHeader(res("f4_2x3_v3.npy")).major());
    }

    @Test
    void fortranOrderIsRejectedExceptWhereItIsTheSameBytes() throws IOException {
        var e = assertThrows(IllegalArgumentException.class, () -> Npy.read(res("f8_fortran_2x3.npy")));
        assertTrue(e.getMessage().contains("Fortran order") && e.getMessage().contains("f8_fortran_2x3.npy"), e.getMessage());
        assertTrue(Npy.readHeader(res("f8_fortran_1d.npy")).fortranOrder());
        assertArrayEquals(new double[] {1, 2, 3}, Npy.read(res("f8_fortran_1d.npy")).toDoubleArray());
    }

    @Test
    void unsupportedDtypesAndTruncatedFilesGiveClearErrors() {
        var c = assertThrows(IllegalArgumentException.class, () -> Npy.read(res("c8_2.npy")));
        assertTrue(c.getMessage().contains("unsupported dtype '<c8'"), c.getMessage());
        var h = assertThrows(IllegalArgumentException.class, () -> Npy.read(res("f2_2.npy")));
        assertTrue(h.getMessage().contains("'<f2'"), h.getMessage());
        var t = assertThrows(IllegalArgumentException.class, () -> Npy.read(res("f8_truncated.npy")));
        assertTrue(t.getMessage().contains("truncated") && t.getMessage().contains("needs 80 data bytes, the file holds 75"), t.getMessage());
    }

    @Test
    void malformedHeadersAreRejected() throws IOException {
        Path p = tmp.resolve("bad.npy");
        Files.write(p, "not numpy at all".getBytes());
        var e = assertThrows(IllegalArgumentException.class, () -> Npy.read(p));
        assertTrue(e.getMessage().contains("magic"), e.getMessage());
        byte[] good = Files.readAllBytes(res("f4_2x3.npy"));
        Files.write(p, java.util.Arrays.copyOf(good, 40));
        e = assertThrows(IllegalArgumentException.class, () -> Npy.read(p));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        byte[] v9 = good.clone();
        v9[6] = 9;
        Files.write(p, v9);
        e = assertThrows(IllegalArgumentException.class, () -> Npy.read(p));
        assertTrue(e.getMessage().contains("version 9.0"), e.getMessage());
        byte[] obj = good.clone();
        String header = new String(obj, 10, 118, java.nio.charset.StandardCharsets.ISO_8859_1).replace("'<f4'", "'|O' ");
        System.arraycopy(header.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), 0, obj, 10, 118);
        Files.write(p, obj);
        e = assertThrows(IllegalArgumentException.class, () -> Npy.read(p));
        assertTrue(e.getMessage().contains("object arrays"), e.getMessage());
    }

    @Test
    void writerProducesNumpysBytesAndRoundTrips() throws IOException {
        // the same array NumPy saved: our file must be byte-identical (header text, padding, data)
        Tensor t = Npy.read(res("f4_2x3.npy"));
        Path p = tmp.resolve("out.npy");
        Npy.write(p, t);
        assertArrayEquals(Files.readAllBytes(res("f4_2x3.npy")), Files.readAllBytes(p));
        Npy.write(p, Npy.read(res("f8_4.npy")));
        assertArrayEquals(Files.readAllBytes(res("f8_4.npy")), Files.readAllBytes(p));
        Npy.write(p, Npy.read(res("f4_scalar.npy")));
        assertArrayEquals(Files.readAllBytes(res("f4_scalar.npy")), Files.readAllBytes(p));
        Npy.write(p, Npy.read(res("i4_3.npy")));
        assertArrayEquals(Files.readAllBytes(res("i4_3.npy")), Files.readAllBytes(p));
        Npy.write(p, Npy.read(res("b1_3.npy")));
        assertArrayEquals(Files.readAllBytes(res("b1_3.npy")), Files.readAllBytes(p));

        // views, larger arrays (several read chunks) and every supported dtype round-trip
        Tensor big = Tensor.randn(new Rng(3), DType.F64, 700, 400).transpose(0, 1);
        Npy.write(p, big);
        Tensor back = Npy.read(p);
        assertArrayEquals(big.shape(), back.shape());
        assertArrayEquals(big.toDoubleArray(), back.toDoubleArray());
        Tensor f = Tensor.randn(new Rng(4), DType.F32, 3, 5, 7).slice(1, 1, 4);
        Npy.write(p, f);
        assertArrayEquals(f.toFloatArray(), Npy.read(p).toFloatArray());
        Npy.write(p, Tensor.of(new int[] {1, -2, 3}, 3));
        assertArrayEquals(new int[] {1, -2, 3}, Npy.read(p).toIntArray());
        assertThrows(IllegalArgumentException.class, () -> Npy.write(p, Tensor.zeros(DType.BF16, 2)));
        assertFalse(Files.list(tmp).anyMatch(q -> q.getFileName().toString().endsWith(".tmp")));
    }
}
