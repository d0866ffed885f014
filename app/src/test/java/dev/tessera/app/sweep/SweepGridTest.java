package dev.tessera.app.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SweepGridTest {
    @Test
    void pointsAreTheCartesianProductFirstAxisSlowest() {
        SweepGrid g = SweepGrid.parse(List.of("lr=1e-3,3e-4", "--attention=mha,gqa,mqa"));
        assertEquals(List.of("lr", "attention"), g.keys());
        assertEquals(6, g.size());
        List<Map<String, String>> p = g.points();
        assertEquals(Map.of("lr", "1e-3", "attention", "mha"), p.get(0));
        assertEquals(Map.of("lr", "1e-3", "attention", "mqa"), p.get(2));
        assertEquals(Map.of("lr", "3e-4", "attention", "mha"), p.get(3));
        assertEquals(Map.of("lr", "3e-4", "attention", "mqa"), p.get(5));
        assertEquals(List.of("lr", "attention"), List.copyOf(p.get(4).keySet()));
    }

    @Test
    void singleValueAxis() {
        assertEquals(List.of(Map.of("moe", "true")), SweepGrid.parse(List.of("moe=true")).points());
    }

    @Test
    void malformedSpecificationsAreNamed() {
        assertEquals("--grid lr: expected key=value1,value2,... (e.g. lr=1e-3,3e-4)", error("lr"));
        assertEquals("--grid lr=1e-3,,3e-4: empty value", error("lr=1e-3,,3e-4"));
        assertEquals("--grid lr=1,1: value '1' is repeated", error("lr=1,1"));
        assertEquals("--grid =1,2: '' is not a flag name", error("=1,2"));
        assertEquals("--grid: key 'lr' is given twice", assertThrows(IllegalArgumentException.class,
                () -> SweepGrid.parse(List.of("lr=1", "--lr=2"))).getMessage());
        assertThrows(IllegalArgumentException.class, () -> SweepGrid.parse(List.of()));
    }

    private static String error(String spec) {
        return assertThrows(IllegalArgumentException.class, () -> SweepGrid.parse(List.of(spec))).getMessage();
    }
}
