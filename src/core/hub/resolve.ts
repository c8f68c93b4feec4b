/**
 * `hf:{org}/{name}[@revision]` wherever a model path is taken: resolved to the weights in the
 * cached snapshot; when missing, downloaded if the caller allows it (the CLI) and not offline.
 */
import { resolve } from 'node:path';
import { UserError } from '../errors';
import { cacheRoot, isHfSpec, parseRepoRef } from './cache';
import { fromCache, isOffline, pull, tryFromCache, type HubOptions } from './client';

export interface ResolvedModel {
  path: string;
  /** Set when the model came from the Hub cache. */
  hub?: { repo: string; revision: string; commit: string; snapshot: string; downloaded: boolean; warning?: string };
}

export async function resolveModelSpec(spec: string, o: HubOptions & { download?: boolean } = {}): Promise<ResolvedModel> {
  if (!isHfSpec(spec)) return { path: resolve(spec) };
  const ref = parseRepoRef(spec);
  const root = cacheRoot(o.cacheDir, o.env);
  const hit = tryFromCache(root, ref, o);
  if (hit) return { path: hit.weights, hub: { repo: ref.repo, revision: ref.revision, commit: hit.commit, snapshot: hit.path, downloaded: false } };
  if (isOffline(o)) fromCache(root, ref, o, 'HF_HUB_OFFLINE is set, so the Hub is not asked');
  if (!o.download) throw new UserError(`${spec} is not in the Hugging Face cache (${root}). Download it first ("Download Model from Hugging Face…" or \`vit-inspect pull ${ref.repo}${ref.revision === 'main' ? '' : '@' + ref.revision}\`).`);
  const r = await pull(spec, o);
  return { path: r.weights, hub: { repo: r.repo, revision: r.revision, commit: r.commit, snapshot: r.path, downloaded: true, warning: r.warning } };
}
