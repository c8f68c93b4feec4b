/**
 * The checkpoint builders, tried in order: the first whose `matches` accepts a checkpoint and its
 * config builds the graph. A new family is one import and one entry here.
 */
import type { CheckpointBuilder } from './config';
import { vitBuilders } from './vit';
import { swinBuilders } from './swin';

export const BUILDERS: readonly CheckpointBuilder[] = [
  ...vitBuilders,
  ...swinBuilders,
];
