/** `vit-inspect providers` (which execution providers start here) and `vit-inspect placement` (which provider ran each node). */
import { basename, resolve } from 'node:path';
import { adapterText } from '../core/session/providers';
import { table } from '../core/textTable';
import type { Args } from './args';
import { embeddedModel, epOrder, print, printJson, withRuntime } from './common';

export async function runProviders(args: Args, json: boolean): Promise<void> {
  const r = await withRuntime((c) => c.request('providers', { order: epOrder(args) }));
  if (json) return printJson(r);
  print(`ONNX Runtime ${r.ortVersion} on ${r.platform}`);
  print(table(['provider', 'status', 'ms', 'adapter / why not'], r.providers.map((p) => [p.name, !p.compiled ? 'not in this build' : p.works ? 'works' : 'fails', p.ms ?? '', [p.adapter ? adapterText(p.adapter) : null, p.reason, p.fix].filter(Boolean).join(' — ')])));
}

export async function runPlacement(args: Args, json: boolean): Promise<void> {
  const model = resolve(args.positionals[0] ?? embeddedModel());
  const r = await withRuntime((c) => c.request('placement', { model, order: epOrder(args) }));
  if (json) return printJson(r);
  print(`${basename(model)} on ${r.ep}: ${r.nodes} nodes${r.failures.length ? ` (not: ${r.failures.map((f) => `${f.ep}: ${f.reason}`).join('; ')})` : ''}`);
  print(table(['provider', 'nodes', 'kernel ms'], r.byProvider.map((b) => [b.provider, b.nodes, b.ms.toFixed(2)])));
  if (r.fallback.length) print(`\n${r.fallback.length} node(s) not on ${r.ep}:\n` + r.fallback.slice(0, 40).map((f) => `  ${f.op.padEnd(16)} ${f.provider.padEnd(24)} ${f.name}`).join('\n'));
  else print(`every node ran on ${r.ep}`);
}
