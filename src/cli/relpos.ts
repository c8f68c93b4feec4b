/** `vit-inspect relpos`: Swin's learned relative position bias per block. */
import { basename, resolve } from 'node:path';
import { readRelpos, relposDocument } from '../core/report/relpos';
import { table } from '../core/textTable';
import type { Args } from './args';
import { print, printJson } from './common';

export async function runRelpos(args: Args, json: boolean): Promise<void> {
  const r = readRelpos(resolve(args.positionals[0]));
  if (json) return printJson(relposDocument(r));
  print(`${basename(r.file)}: relative position bias B̂ per block, table[r, head] with r = (Δh+Mh−1)(2Mw−1) + (Δw+Mw−1)`);
  print(
    table(
      ['block', 'heads', 'window', 'shifted', 'table', 'params', 'min', 'max', 'read from'],
      r.layers.map((l) => {
        let lo = Infinity;
        let hi = -Infinity;
        for (const v of l.table ?? []) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
        const ok = l.table !== null;
        return [l.name, l.heads, `${l.window[0]}×${l.window[1]}`, l.shifted ? 'yes' : 'no', `${2 * l.window[0] - 1}×${2 * l.window[1] - 1}`, l.params, ok ? lo.toFixed(4) : '', ok ? hi.toFixed(4) : '', l.source === 'folded' ? `folded [heads, N, N] constant ${l.tensor}` : l.source === 'table' ? `table ${l.tensor} + Gather` : l.source === 'cpb' ? 'Swin V2 CPB: 16·sigmoid(MLP(coords)), computed' : '—'];
      }),
    ),
  );
  for (const l of r.layers) if (l.message) print(`${l.name}: ${l.message}`);
}
