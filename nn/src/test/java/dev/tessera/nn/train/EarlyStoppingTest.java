package dev.tessera.nn.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EarlyStoppingTest {
    @Test
    void minModeStopsAfterPatienceEvaluationsWithoutImprovement() {
        var es = new EarlyStopping(EarlyStopping.Mode.MIN, 2, 0.0);
        assertFalse(es.update(1, 1.0));
        assertTrue(es.improved());
        assertFalse(es.update(2, 0.8));
        assertTrue(es.improved());
        assertFalse(es.update(3, 0.8)); // equal is not better
        assertFalse(es.improved());
        assertEquals(1, es.badEvaluations());
        assertFalse(es.update(4, 0.7)); // an improvement resets the count
        assertEquals(0, es.badEvaluations());
        assertFalse(es.update(5, 0.9));
        assertTrue(es.update(6, 0.75));
        assertTrue(es.shouldStop());
        assertEquals(0.7, es.best());
        assertEquals(4, es.bestStep());
    }

    @Test
    void maxModeWithMinDelta() {
        var es = new EarlyStopping(EarlyStopping.Mode.MAX, 3, 0.01);
        es.update(0, 0.50);
        es.update(1, 0.505); // within minDelta: not an improvement
        assertFalse(es.improved());
        es.update(2, 0.52);
        assertTrue(es.improved());
        assertEquals(0.52, es.best());
        assertFalse(es.update(3, 0.40));
        assertFalse(es.update(4, 0.529));
        assertTrue(es.update(5, 0.51));
        assertEquals(2, es.bestStep());
    }

    @Test
    void nanNeverImproves() {
        var es = new EarlyStopping(EarlyStopping.Mode.MIN, 2, 0);
        assertFalse(es.update(0, Double.NaN));
        assertFalse(es.improved());
        assertTrue(Double.isNaN(es.best()));
        es.update(1, 5);
        assertTrue(es.improved());
        es.update(2, Double.NaN);
        assertTrue(es.update(3, Double.NaN));
        assertEquals(5, es.best());
    }

    @Test
    void stateRoundTripsThroughJson() throws Exception {
        var es = new EarlyStopping(EarlyStopping.Mode.MIN, 3, 0);
        es.update(10, 2.0);
        es.update(20, 2.5);
        var mapper = new ObjectMapper().enable(DeserializationFeature.USE_LONG_FOR_INTS);
        Map<?, ?> back = mapper.readValue(mapper.writeValueAsString(es.state()), Map.class);
        var restored = new EarlyStopping(EarlyStopping.Mode.MIN, 3, 0);
        restored.restore(back);
        assertEquals(2.0, restored.best());
        assertEquals(10, restored.bestStep());
        assertEquals(1, restored.badEvaluations());
        // both continue identically
        for (double v : new double[] {2.2, 2.1}) assertEquals(es.update(30, v), restored.update(30, v));
        assertTrue(restored.shouldStop());
        // a fresh state (no best yet) survives JSON, which has no NaN
        var fresh = new EarlyStopping(EarlyStopping.Mode.MAX, 1, 0);
        var again = new EarlyStopping(EarlyStopping.Mode.MAX, 1, 0);
        again.restore(mapper.readValue(mapper.writeValueAsString(fresh.state()), Map.class));
        assertTrue(Double.isNaN(again.best()));
        assertThrows(IllegalArgumentException.class, () -> es.restore(fresh.state()));
    }

    @Test
    void rejectsBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> new EarlyStopping(EarlyStopping.Mode.MIN, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new EarlyStopping(EarlyStopping.Mode.MIN, 1, -1));
        assertThrows(IllegalArgumentException.class, () -> new EarlyStopping(EarlyStopping.Mode.MIN, 1, Double.NaN));
    }
}
