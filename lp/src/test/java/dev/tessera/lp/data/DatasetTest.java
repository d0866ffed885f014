package dev.tessera.lp.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.lp.CodeSampler;
import dev.tessera.lp.VertexEnumerator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetTest {
    @TempDir
    Path dir;

    private static GenSpec spec(long rows, CodeSampler.Kind kind) {
        return new GenSpec(new int[] {9, 10}, new int[] {4, 5, 6}, kind, 636, rows, 700, 0.2, 2);
    }

    @Test
    void labelsAreExactFinitePrefixesSplitByMatrix() throws Exception {
        GenSpec spec = spec(2000, CodeSampler.Kind.INTSCALE);
        AtomicLong progress = new AtomicLong();
        var res = DatasetGenerator.run(spec, dir, 2, progress);
        assertEquals(2000, progress.get());
        assertEquals(3, res.writtenShards());
        MHeightDataset ds = MHeightDataset.open(dir);
        assertEquals(2000, ds.info().rows());
        assertEquals(2000, ds.info().groups().stream().mapToLong(DatasetInfo.Group::rows).sum());
        Map<String, VertexEnumerator> vs = new HashMap<>();
        Map<String, Boolean> splitOfMatrix = new HashMap<>();
        Map<String, Integer> lastM = new HashMap<>();
        int rows = 0;
        int val = 0;
        for (var row : ds.rows(MHeightDataset.Split.ALL)) {
            rows++;
            if (row.val()) val++;
            assertTrue(Double.isFinite(row.log2h()) && row.log2h() >= 0);
            var v = vs.computeIfAbsent(row.n() + "," + row.k(), x -> new VertexEnumerator(row.n(), row.k()));
            double[] h = new double[row.n()];
            v.profile(row.p(), h);
            assertEquals(Math.log(h[row.m()]) / Math.log(2), row.log2h(), 1e-12);
            String key = row.shard() + "/" + row.matrix();
            Boolean prev = splitOfMatrix.putIfAbsent(key, row.val());
            if (prev != null) assertEquals(prev, row.val(), "a matrix never straddles the split");
            int expectedM = lastM.getOrDefault(key, 1) + 1;
            assertEquals(expectedM, row.m(), "rows of a matrix are the prefix m = 2, 3, ...");
            lastM.put(key, row.m());
        }
        assertEquals(2000, rows);
        assertTrue(val > 200 && val < 700, "val rows " + val);
        int trainRows = 0;
        for (var ignored : ds.rows(MHeightDataset.Split.TRAIN)) trainRows++;
        assertEquals(2000 - val, trainRows);
        // every course group is present
        assertEquals(21, ds.info().groups().size());
    }

    @Test
    void shardsDoNotDependOnThreadsAndRerunsCompleteOnlyMissingShards() throws Exception {
        GenSpec spec = spec(1500, CodeSampler.Kind.INT100);
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        DatasetGenerator.run(spec, a, 1, null);
        DatasetGenerator.run(spec, b, 3, null);
        for (int s = 0; s < spec.shardCount(); s++) {
            assertArrayEquals(Files.readAllBytes(a.resolve(DatasetGenerator.shardName(s))),
                    Files.readAllBytes(b.resolve(DatasetGenerator.shardName(s))));
        }
        byte[] shard1 = Files.readAllBytes(a.resolve(DatasetGenerator.shardName(1)));
        Files.delete(a.resolve(DatasetGenerator.shardName(1)));
        Files.write(a.resolve(DatasetGenerator.shardName(2)), new byte[] {1, 2, 3}); // a torn file is redone
        var res = DatasetGenerator.run(spec, a, 2, null);
        assertEquals(1, res.reusedShards());
        assertEquals(2, res.writtenShards());
        assertArrayEquals(shard1, Files.readAllBytes(a.resolve(DatasetGenerator.shardName(1))));
        assertEquals(Files.readString(a.resolve(DatasetInfo.FILE)), Files.readString(b.resolve(DatasetInfo.FILE)));
        var again = DatasetGenerator.run(spec, a, 2, null);
        assertEquals(spec.shardCount(), again.reusedShards());
        GenSpec other = new GenSpec(new int[] {9, 10}, new int[] {4, 5, 6}, CodeSampler.Kind.INT100, 7, 1500, 700, 0.2, 2);
        assertThrows(IllegalArgumentException.class, () -> DatasetGenerator.run(other, a, 1, null));
    }

    @Test
    void realSamplerStoresDoublePrecisionP() throws Exception {
        GenSpec spec = new GenSpec(new int[] {9}, new int[] {5}, CodeSampler.Kind.REAL100, 1, 50, 50, 0.0, 2);
        DatasetGenerator.run(spec, dir, 1, null);
        MHeightDataset ds = MHeightDataset.open(dir);
        assertEquals("F64", ds.info().pDtype());
        var v = new VertexEnumerator(9, 5);
        double[] h = new double[9];
        for (var row : ds.rows(MHeightDataset.Split.TRAIN)) {
            v.profile(row.p(), h);
            assertEquals(Math.log(h[row.m()]) / Math.log(2), row.log2h(), 1e-12);
        }
    }
}
