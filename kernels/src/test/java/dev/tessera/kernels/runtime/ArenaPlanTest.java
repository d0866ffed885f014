package dev.tessera.kernels.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The CUDA graph arena planner: live blocks never overlap, dead ones are reused, alignment holds. */
class ArenaPlanTest {
    @Test
    void blocksAliveAtTheSameTimeNeverOverlapAndDeadOnesShareMemory() {
        Random r = new Random(7);
        int n = 400;
        long[] bytes = new long[n], start = new long[n], end = new long[n];
        long clock = 0, sum = 0;
        for (int i = 0; i < n; i++) {
            bytes[i] = 1 + r.nextInt(1 << 16);
            start[i] = clock++;
            end[i] = r.nextInt(10) == 0 ? Long.MAX_VALUE : start[i] + 1 + r.nextInt(40);
            sum += bytes[i];
        }
        ArenaPlan p = ArenaPlan.of(bytes, start, end);
        for (int i = 0; i < n; i++) {
            assertEquals(0, p.offset(i) % ArenaPlan.ALIGN, "aligned offset");
            assertTrue(p.offset(i) + bytes[i] <= p.total());
            for (int j = i + 1; j < n; j++) {
                boolean together = start[i] < end[j] && start[j] < end[i];
                boolean apart = p.offset(i) + bytes[i] <= p.offset(j) || p.offset(j) + bytes[j] <= p.offset(i);
                assertTrue(!together || apart, "requests " + i + " and " + j + " are alive together but overlap");
            }
        }
        assertTrue(p.total() < sum / 3, "short lifetimes must share memory: arena " + p.total() + " of " + sum);
    }

    @Test
    void aChainOfShortLivedBlocksReusesOneSlot() {
        long[] bytes = {1000, 1000, 1000, 1000}, start = {0, 2, 4, 6}, end = {1, 3, 5, 7};
        ArenaPlan p = ArenaPlan.of(bytes, start, end);
        assertEquals(1024, p.total());
        for (int i = 0; i < 4; i++) assertEquals(0, p.offset(i));
    }

    @Test
    void badRequestsAreNamed() {
        var e = assertThrows(IllegalArgumentException.class, () -> ArenaPlan.of(new long[] {8}, new long[] {3}, new long[] {3}));
        assertEquals("ArenaPlan: request 0 has 8 bytes over [3, 3)", e.getMessage());
    }
}
