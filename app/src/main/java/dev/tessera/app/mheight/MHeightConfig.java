package dev.tessera.app.mheight;

import java.util.LinkedHashMap;
import java.util.Map;

/** Size of the m-height model. */
public record MHeightConfig(int dModel, int heads, int layers, int ffHidden, int experts, int expertHidden, long seed) {
    /** The small model of the default run. */
    public static MHeightConfig defaults() {
        return new MHeightConfig(64, 4, 6, 128, 7, 64, 1);
    }

    /** The reference model (about 2.5 M parameters). */
    public static MHeightConfig reference() {
        return new MHeightConfig(192, 6, 6, 512, 7, 256, 1);
    }

    /** The config as checkpoint metadata. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dModel", dModel);
        m.put("heads", heads);
        m.put("layers", layers);
        m.put("ffHidden", ffHidden);
        m.put("experts", experts);
        m.put("expertHidden", expertHidden);
        m.put("seed", seed);
        return m;
    }

    /** Reads {@link #toMap()} back. */
    public static MHeightConfig fromMap(Map<String, Object> m) {
        return new MHeightConfig(i(m, "dModel"), i(m, "heads"), i(m, "layers"), i(m, "ffHidden"), i(m, "experts"), i(m, "expertHidden"),
                ((Number) m.get("seed")).longValue());
    }

    private static int i(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).intValue();
    }
}
