/**
 * The core's shared vocabulary, defined once: model families and the roles a node's MACs are
 * counted under (the analytic counter and the graph counter use the same names).
 */

/** Families the detector tells apart; 'other' is any graph without transformer attention. */
export type Family = 'vit' | 'swin' | 'other';

/** Families the analytic counter has formulas for. */
export type TransformerFamily = Exclude<Family, 'other'>;

/** MAC roles, in the order reports list them. */
export const ROLES = ['patchEmbed', 'qkv', 'attnScores', 'attnValues', 'attnProj', 'mlp', 'norm', 'merge', 'head', 'other'] as const;
export type Role = (typeof ROLES)[number];
export type ByRole = Record<Role, number>;
