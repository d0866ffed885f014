/**
 * Mixture-of-experts layers: {@link dev.tessera.moe.DenseMoE} (soft gating over every expert, the
 * oracle) and {@link dev.tessera.moe.SparseMoE} (top-k or expert-choice routing with capacity, batched
 * expert GEMMs), the Switch balance loss and router z-loss, auxiliary-loss-free bias balancing, and
 * per-layer routing statistics ({@link dev.tessera.moe.MoeStats}).
 */
package dev.tessera.moe;
