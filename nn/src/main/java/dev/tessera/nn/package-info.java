/**
 * Neural-network building blocks: {@link dev.tessera.nn.Module} (explicit registration of
 * parameters, buffers and children; state dicts; train/eval; devices), {@link dev.tessera.nn.Parameter},
 * {@link dev.tessera.nn.Layer} and the containers {@link dev.tessera.nn.Sequential} and
 * {@link dev.tessera.nn.ModuleList}. Sub-packages hold layers, attention, transformers, losses,
 * optimizers, schedules, data loading and training utilities.
 */
package dev.tessera.nn;
