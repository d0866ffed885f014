package dev.tessera.moe;

/**
 * Which assignments an over-full expert drops.
 *
 * <pre>{@code
 * new SparseMoE.Options(8, 2, 1.25, 0.01, 0, 0, DropPolicy.PROBABILITY, RouterKind.TOKEN_CHOICE);
 * }</pre>
 */
public enum DropPolicy {
    /** Keep in position order: all first choices by token, then all second choices, ... (GShard). */
    POSITION,
    /** Keep the assignments with the highest router probability; equal ones in position order. */
    PROBABILITY
}
