/**
 * `vit-inspect pull` and `vit-inspect models`, and `hf:` model arguments: every `--model hf:…`
 * and `hf:…` positional is resolved to its cached weights before a command runs, downloading
 * what is missing unless HF_HUB_OFFLINE is set.
 */
import { isHfSpec } from '../core/hub/cache';
import { pull, type Progress } from '../core/hub/client';
import { envProxy } from '../core/hub/proxy';
import { resolveModelSpec } from '../core/hub/resolve';
import { scanCache, scanFolder } from '../core/hub/scan';
import { str, type Args } from './args';
import { table } from '../core/textTable';
import { print } from './common';

const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;

/** Progress on stderr (stdout stays one JSON document). */
function progressLine(p: Progress): void {
  if (!process.stderr.isTTY) return;
  const eta = p.etaSeconds === null ? '' : `, ${Math.ceil(p.etaSeconds)} s left`;
  process.stderr.write(`\r${p.file}: ${mb(p.bytes)} of ${mb(p.total)} at ${mb(p.rate)}/s${eta}   `);
}

export async function runPull(args: Args, json: boolean): Promise<void> {
  const ac = new AbortController();
  const stop = (): void => ac.abort();
  process.once('SIGINT', stop);
  try {
    const r = await pull(args.positionals[0], { variant: str(args, 'variant'), signal: ac.signal, onProgress: progressLine, proxy: envProxy() });
    if (process.stderr.isTTY) process.stderr.write('\n');
    if (r.warning) process.stderr.write(`warning: ${r.warning}\n`);
    if (json) return print(JSON.stringify({ repo: r.repo, revision: r.revision, commit: r.commit, path: r.path, files: r.files }, null, 2));
    print(`${r.repo}@${r.revision} (commit ${r.commit.slice(0, 12)}) ${r.format}${r.variant ? ` ${r.variant}` : ''}\n${r.path}`);
    print(table(['file', 'size', 'sha256'], r.files.map((f) => [f.path, f.size.toLocaleString('en-US'), f.sha256 ?? ''])));
  } finally {
    process.removeListener('SIGINT', stop);
  }
}

export async function runModels(_args: Args, json: boolean): Promise<void> {
  const models = [...scanCache(), ...scanFolder(process.cwd())];
  if (json) return print(JSON.stringify({ models }, null, 2));
  if (!models.length) return print('No ViT, DeiT or Swin model in the Hugging Face cache or this folder. Download one with vit-inspect pull org/name.');
  print(table(['id', 'format', 'variant', 'family', 'size', 'path'], models.map((m) => [m.id, m.format, m.variant ?? '', m.family ?? '?', mb(m.bytes), m.path])));
}

/** Rewrites `--model hf:…` and `hf:…` positionals to the cached weights' paths (downloading them unless offline). */
export async function resolveHfArgs(args: Args): Promise<void> {
  const model = args.flags.get('model');
  if (typeof model === 'string' && isHfSpec(model)) args.flags.set('model', await hfPath(model));
  for (let i = 0; i < args.positionals.length; i++) if (isHfSpec(args.positionals[i])) args.positionals[i] = await hfPath(args.positionals[i]);
}

async function hfPath(spec: string): Promise<string> {
  const r = await resolveModelSpec(spec, { download: true, onProgress: progressLine, proxy: envProxy() });
  if (r.hub?.downloaded && process.stderr.isTTY) process.stderr.write('\n');
  if (r.hub?.warning) process.stderr.write(`warning: ${r.hub.warning}\n`);
  return r.path;
}
