/**
 * The ViT/DeiT/Swin models already here: in the Hub cache (every snapshot of every
 * models--* repo, subfolders such as onnx/ included) and in a folder. Recognised from
 * config.json's model_type / architectures (transformers) or `architecture` (timm).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { cacheRoot, safeStat, snapshotFiles, COMMIT_RE, type Env } from './cache';
import { findSidecar } from './layout';
import { variantOf, type Format } from './variants';

export type Family = 'vit' | 'vit-hybrid' | 'swin' | 'swin-v2';

export interface FoundModel {
  /** "hf:org/name[@revision]" (the variant is a field of its own) or the file's path. */
  id: string;
  repo?: string;
  revision?: string;
  commit?: string;
  path: string;
  format: Format;
  variant?: string;
  family?: Family;
  bytes: number;
}

/** The family a config.json names, or undefined when it is not a ViT, DeiT or Swin. */
export function familyOfConfig(cfg: Record<string, unknown>): Family | undefined {
  const type = String(cfg.model_type ?? '').toLowerCase();
  const archs = [...(Array.isArray(cfg.architectures) ? cfg.architectures.map(String) : []), String(cfg.architecture ?? '')].join(' ').toLowerCase();
  if (type === 'swinv2' || /swinv2|swin_v2|swinv2_/.test(archs)) return 'swin-v2';
  if (type === 'swin' || /swin/.test(archs)) return 'swin';
  if (type === 'vit-hybrid' || /vit_hybrid|vithybrid|vit_.*resnet/.test(archs)) return 'vit-hybrid';
  if (['vit', 'deit', 'vit_msn', 'vit_mae', 'dinov2', 'beit'].includes(type) || /\bvit|deit|^vit_|\bdeit_/.test(archs)) return 'vit';
  return undefined;
}

function configFamily(modelPath: string): Family | undefined {
  const f = findSidecar(modelPath, 'config.json');
  if (!f) return undefined;
  try {
    return familyOfConfig(JSON.parse(readFileSync(f.path, 'utf8')));
  } catch {
    return undefined;
  }
}

const size = (p: string): number => safeStat(p)?.size ?? 0;

/** The weights files of one folder tree: ONNX files (with external data) and safetensors checkpoints. */
function weightsIn(dir: string, files: string[]): { rel: string; format: Format; bytes: number; variant?: string }[] {
  const out: { rel: string; format: Format; bytes: number; variant?: string }[] = [];
  for (const f of files) {
    if (f.endsWith('.onnx')) {
      const data = files.filter((d) => d === `${f}_data` || d === `${f}.data`);
      out.push({ rel: f, format: 'onnx', variant: variantOf(f), bytes: [f, ...data].reduce((s, x) => s + size(join(dir, x)), 0) });
    } else if (/(^|\/)model\.safetensors$/.test(f)) out.push({ rel: f, format: 'safetensors', bytes: size(join(dir, f)) });
    else if (/(^|\/)model\.safetensors\.index\.json$/.test(f)) {
      const base = f.replace(/model\.safetensors\.index\.json$/, '');
      const shards = files.filter((s) => s.startsWith(base) && /model-\d+-of-\d+\.safetensors$/.test(s));
      out.push({ rel: f, format: 'safetensors', bytes: shards.reduce((s, x) => s + size(join(dir, x)), 0) });
    }
  }
  return out;
}

/** Every ViT/DeiT/Swin model in the Hub cache, newest snapshot first within a repo. */
export function scanCache(override?: string, env: Env = process.env): FoundModel[] {
  const root = cacheRoot(override, env);
  if (!existsSync(root)) return [];
  const out: FoundModel[] = [];
  for (const folder of readdirSync(root).filter((d) => d.startsWith('models--')).sort()) {
    const repo = folder.slice('models--'.length).split('--').join('/');
    const refs = readRefs(join(root, folder, 'refs'));
    const snaps = join(root, folder, 'snapshots');
    if (!existsSync(snaps)) continue;
    const commits = readdirSync(snaps).filter((c) => COMMIT_RE.test(c)).sort((a, b) => statSync(join(snaps, b)).mtimeMs - statSync(join(snaps, a)).mtimeMs);
    for (const commit of commits) {
      const dir = join(snaps, commit);
      const files = snapshotFiles(dir).filter((f) => existsSync(join(dir, f)));
      const revision = refs.get(commit);
      for (const w of weightsIn(dir, files)) {
        const path = join(dir, ...w.rel.split('/'));
        const family = configFamily(path);
        if (!family) continue;
        out.push({ id: `hf:${repo}${revision === 'main' ? '' : '@' + (revision ?? commit)}`, repo, revision, commit, path, format: w.format, variant: w.variant, family, bytes: w.bytes });
      }
    }
  }
  return out;
}

function readRefs(dir: string): Map<string, string> {
  const byCommit = new Map<string, string>();
  if (!existsSync(dir)) return byCommit;
  const walk = (d: string, prefix: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const name = prefix + e.name;
      if (e.isDirectory()) walk(join(d, e.name), name + '/');
      else {
        const c = readFileSync(join(d, e.name), 'utf8').trim();
        // main wins as the name of a commit several refs point at.
        if (!byCommit.has(c) || name === 'main') byCommit.set(c, name);
      }
    }
  };
  walk(dir, '');
  return byCommit;
}

/** Models in a folder (the workspace): every .onnx file; safetensors checkpoints recognised from their config.json. */
export function scanFolder(root: string, maxDepth = 4): FoundModel[] {
  const files: string[] = [];
  const walk = (d: string, depth: number): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory() && depth < maxDepth) walk(p, depth + 1);
      else files.push(relative(root, p).split(sep).join('/'));
    }
  };
  walk(root, 0);
  return weightsIn(root, files)
    .map((w) => {
      const path = join(root, ...w.rel.split('/'));
      return { id: path, path, format: w.format, variant: w.format === 'onnx' ? w.variant : undefined, family: configFamily(path), bytes: w.bytes };
    })
    .filter((m) => m.format === 'onnx' || m.family);
}
