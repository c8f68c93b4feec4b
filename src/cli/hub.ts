/**
 * `vit-inspect pull` and `vit-inspect models`, and `hf:` model arguments: every `--model hf:…`
 * and `hf:…` positional is resolved to its cached weights before a command runs, downloading
 * what is missing unless HF_HUB_OFFLINE is set.
 */
import { UserError } from '../core/errors';
import { isHfSpec } from '../core/hub/cache';
import { pull, type Progress } from '../core/hub/client';
import { envProxy } from '../core/hub/proxy';
import { resolveModelSpec } from '../core/hub/resolve';
import { scanCache, scanFolder } from '../core/hub/scan';
import { str, unknownFlags, type Args } from './args';
import { table } from '../core/textTable';
import { print, type Command } from './common';

const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;

/** Progress on stderr (stdout stays one JSON document). */
function progressLine(p: Progress): void {
  if (!process.stderr.isTTY) return;
  const eta = p.etaSeconds === null ? '' : `, ${Math.ceil(p.etaSeconds)} s left`;
  process.stderr.write(`\r${p.file}: ${mb(p.bytes)} of ${mb(p.total)} at ${mb(p.rate)}/s${eta}   `);
}

export const hubCommands: Record<string, Command> = {
  pull: {
    summary: 'download a model from the Hugging Face Hub into its cache: configs and one variant\'s weights',
    usage: 'vit-inspect pull REPO[@REVISION] [--variant fp32|fp16|quantized|int8|uint8|q4|...|safetensors] [--json]',
    async run(args, json) {
      unknownFlags(args, ['variant', 'json']);
      if (args.positionals.length !== 1) throw new UserError('Give one repo: vit-inspect pull org/name[@revision] [--variant fp16]');
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
    },
  },
  models: {
    summary: 'the ViT/DeiT/Swin models in the Hugging Face cache and in this folder',
    usage: 'vit-inspect models [--json]',
    async run(args, json) {
      unknownFlags(args, ['json']);
      if (args.positionals.length) throw new UserError('vit-inspect models takes no arguments: it lists the Hugging Face cache and the current folder.');
      const models = [...scanCache(), ...scanFolder(process.cwd())];
      if (json) return print(JSON.stringify({ models }, null, 2));
      if (!models.length) return print('No ViT, DeiT or Swin model in the Hugging Face cache or this folder. Download one with vit-inspect pull org/name.');
      print(table(['id', 'format', 'variant', 'family', 'size', 'path'], models.map((m) => [m.id, m.format, m.variant ?? '', m.family ?? '?', mb(m.bytes), m.path])));
    },
  },
};

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
