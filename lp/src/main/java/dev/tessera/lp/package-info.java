/**
 * Exact m-heights of linear codes {@code G = [I_k | P]}: {@link dev.tessera.lp.MHeight} (entry
 * point; LP-free vertex enumeration and the ojAlgo S-LP reference), the exact infinity test
 * ({@link dev.tessera.lp.MinimumDistance}), samplers drawing matrices like the course data
 * ({@link dev.tessera.lp.CodeSampler}) and a parallel {@link dev.tessera.lp.Labeler}.
 *
 * <pre>{@code
 * double[] h = MHeight.profile(9, 4, P);   // h[m] for m = 0..8, P is 4 x 5
 * }</pre>
 */
package dev.tessera.lp;
