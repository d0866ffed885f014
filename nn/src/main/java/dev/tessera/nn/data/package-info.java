/**
 * Data loading: {@link dev.tessera.nn.data.Dataset}, {@link dev.tessera.nn.data.TensorDataset} and
 * the reproducible, resumable, optionally prefetching {@link dev.tessera.nn.data.DataLoader}.
 */
package dev.tessera.nn.data;
