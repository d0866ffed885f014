package dev.tessera.moe;

/**
 * How tokens and experts are matched in a {@link SparseMoE}.
 *
 * <pre>{@code
 * new SparseMoE.Options(8, 2, 2.0, 0, 0, 0, DropPolicy.POSITION, RouterKind.EXPERT_CHOICE);
 * }</pre>
 */
public enum RouterKind {
    /** Each token picks its top-k experts; experts drop overflow beyond their capacity. */
    TOKEN_CHOICE,
    /**
     * Each expert picks its top-C tokens, {@code C = ceil(cf * k * T / E)}, weighted by the
     * (not renormalized) router probability; perfectly balanced, a token may get no expert.
     */
    EXPERT_CHOICE
}
