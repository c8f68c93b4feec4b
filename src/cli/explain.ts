/**
 * `vit-inspect explain`: a class-specific occlusion or RISE map (runtime/explain.ts).
 */
import { basename, resolve } from 'node:path';
import { UserError } from '../core/errors';
import { int, str, type Args } from './args';
import { epOrder, modelFlag, print, printJson, withRuntime } from './common';

export async function runExplain(args: Args, json: boolean): Promise<void> {
  const model = modelFlag(args);
  const method = str(args, 'method') ?? 'occlusion';
  if (method !== 'occlusion' && method !== 'rise' && method !== 'drop') throw new UserError(`--method is occlusion, rise or drop; got ${method}.`);
  if (method === 'drop' && ['window', 'stride', 'masks', 'seed'].some((k) => str(args, k) !== undefined)) throw new UserError('--method drop removes one patch token per run (the window is the patch): it takes no --window, --stride, --masks or --seed.');
  if (method === 'rise' && (str(args, 'window') !== undefined || str(args, 'stride') !== undefined)) throw new UserError('--window and --stride apply to --method occlusion; RISE takes --masks and --seed.');
  if (method === 'occlusion' && (str(args, 'masks') !== undefined || str(args, 'seed') !== undefined)) throw new UserError('--masks and --seed apply to --method rise; occlusion takes --window and --stride.');
  // --class K: an index, or a label (ignoring case, spaces, "_", "-", "/").
  const asked = str(args, 'class');
  const byIndex = asked === undefined || /^\d+$/.test(asked.trim());
  const r = await withRuntime((c) =>
    c.request(
      'explain',
      {
        model,
        image: resolve(args.positionals[0]),
        method,
        order: epOrder(args),
        class: byIndex ? int(args, 'class', 0, 1e9) : undefined,
        className: byIndex ? undefined : asked,
        window: int(args, 'window', 1, 1e5),
        stride: int(args, 'stride', 1, 1e5),
        masks: int(args, 'masks', 1, 1e6),
        seed: int(args, 'seed', 0, 2 ** 32 - 1),
        batch: int(args, 'batch', 1, 1024),
      },
      undefined,
      json || !process.stderr.isTTY ? undefined : (m) => process.stderr.write(`\r${m}`),
    ),
  );
  const doc = { method: r.method, class: r.class, label: r.label, prob: r.prob, grid: r.grid, window: r.window, stride: r.stride, runs: r.runs, ms: +r.ms.toFixed(1), ep: r.ep, map: Array.from(r.map) };
  if (json) return printJson(doc);
  if (process.stderr.isTTY) process.stderr.write('\n');
  print(`${basename(model)}: ${r.method} map for class ${r.class}${r.label ? ` (${r.label})` : ''}, p = ${r.prob.toFixed(4)}, on ${r.ep}`);
  print(r.method === 'drop' ? `${r.grid[0]}×${r.grid[1]} patch tokens (${r.window} px), each removed from the sequence in turn` : r.method === 'occlusion' ? `${r.grid[0]}×${r.grid[1]} window positions (window ${r.window} px, stride ${r.stride} px)` : `${r.grid[0]}×${r.grid[1]} pixels (the input's H×W)`);
  print(`${r.runs} runs in ${r.ms.toFixed(0)} ms`);
  let best = 0;
  r.map.forEach((v, i) => void (v > r.map[best] && (best = i)));
  print(`largest at row ${Math.floor(best / r.grid[1])}, column ${best % r.grid[1]}: ${r.map[best].toFixed(4)}`);
}
