/**
 * Parameter initialisers (uniform, normal, Xavier, Kaiming) drawing from an explicit
 * {@link dev.tessera.tensor.Rng}.
 */
package dev.tessera.nn.init;
