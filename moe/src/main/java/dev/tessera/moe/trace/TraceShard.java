package dev.tessera.moe.trace;

/**
 * The rows of one trace shard, row-major on plain arrays.
 *
 * @param layer    the recorded layer's index
 * @param firstRow the layer row of the first row
 * @param rows     number of rows n
 * @param dModel   input width d
 * @param topK     k
 * @param x        {@code [n * d]} layer inputs
 * @param experts  {@code [n * k]} chosen experts, entry {@code r * k + j} the j-th choice of row r
 * @param gates    {@code [n * k]} gate weights of the choices
 * @param kept     {@code [n * k]} whether the capacity kept the assignment
 */
public record TraceShard(int layer, long firstRow, int rows, int dModel, int topK, float[] x, int[] experts, float[] gates, boolean[] kept) {

    /** Checks the array lengths. */
    public TraceShard {
        if (x.length != (long) rows * dModel || experts.length != (long) rows * topK || gates.length != (long) rows * topK
                || kept.length != (long) rows * topK) {
            throw new IllegalArgumentException("TraceShard: arrays x " + x.length + ", experts " + experts.length + ", gates " + gates.length
                    + ", kept " + kept.length + " do not match rows " + rows + ", d " + dModel + ", k " + topK);
        }
    }
}
