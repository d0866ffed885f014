/**
 * Labelled m-height datasets: sharded safetensors files with a {@code dataset_info.json}
 * ({@link dev.tessera.lp.data.DatasetGenerator}, {@link dev.tessera.lp.data.MHeightDataset}),
 * per-group statistics and the exact invariances used as augmentations
 * ({@link dev.tessera.lp.data.Augment}).
 */
package dev.tessera.lp.data;
