/**
 * The core's shared vocabulary, defined once: model families and the roles a node's MACs are
 * counted under (the analytic counter and the graph counter use the same names).
 */

/** Families the detector tells apart; 'other' is any graph without transformer attention. 'vit-hybrid': a ViT whose tokens are patches of a CNN's feature map (ViT paper, Section 3.1). */
export type Family = 'vit' | 'vit-hybrid' | 'swin' | 'other';

/** Families the analytic counter has formulas for (a hybrid's backbone has none). */
export type TransformerFamily = 'vit' | 'swin';

/** Families whose attention is global over one token sequence (class-token maps, rollout). */
export const isGlobalAttention = (f: Family): f is 'vit' | 'vit-hybrid' => f === 'vit' || f === 'vit-hybrid';

/** MAC roles, in the order reports list them. */
export const ROLES = ['patchEmbed', 'qkv', 'attnScores', 'attnValues', 'attnProj', 'mlp', 'norm', 'merge', 'head', 'other'] as const;
export type Role = (typeof ROLES)[number];
export type ByRole = Record<Role, number>;
