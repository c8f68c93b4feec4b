/**
 * The core's shared vocabulary, defined once: model families and the roles a node's MACs are
 * counted under (the analytic counter and the graph counter use the same names).
 */

/** Families the detector tells apart; 'other' is any graph without transformer attention. 'vit-hybrid': a ViT whose tokens are patches of a CNN's feature map (ViT paper, Section 3.1); 'swin-v2': Swin with scaled cosine attention and/or the continuous position bias (Swin V2, Section 3.2). */
export type Family = 'vit' | 'vit-hybrid' | 'swin' | 'swin-v2' | 'other';

/** Families the analytic counter has formulas for (a hybrid's backbone has none). */
export type TransformerFamily = 'vit' | 'swin';

/** Families with Swin's windows, shifts, relative position bias and patch merging (V1 and V2). */
export const isSwinFamily = (f: string | null | undefined): f is 'swin' | 'swin-v2' => f === 'swin' || f === 'swin-v2';

/** Families whose attention is global over one token sequence (class-token maps, rollout). */
export const isGlobalAttention = (f: Family): f is 'vit' | 'vit-hybrid' => f === 'vit' || f === 'vit-hybrid';

/** MAC roles, in the order reports list them. */
export const ROLES = ['patchEmbed', 'qkv', 'attnScores', 'attnValues', 'attnProj', 'mlp', 'norm', 'merge', 'head', 'other'] as const;
export type Role = (typeof ROLES)[number];
export type ByRole = Record<Role, number>;
