package dev.tessera.app.regression;

import java.util.Arrays;
import java.util.Locale;

/** The model families of the regression recipe. */
public enum ModelType {
    /** One linear map of the input window. */
    LINEAR,
    /** A multilayer perceptron over the input window. */
    MLP,
    /** A transformer over value tokens (encoder, decoder or encoder-decoder by task kind). */
    TRANSFORMER;

    /** The lower-case name used on the command line. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The type named {@code name} (case-insensitive). */
    public static ModelType parse(String name) {
        for (ModelType t : values()) if (t.cliName().equalsIgnoreCase(name)) return t;
        throw new IllegalArgumentException("unknown model type '" + name + "', expected one of "
                + Arrays.stream(values()).map(ModelType::cliName).toList());
    }
}
