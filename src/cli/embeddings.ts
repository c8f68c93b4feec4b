/** `vit-inspect embeddings`: position-embedding similarity and patch-filter components (ViT paper, Figure 7). */
import { basename, resolve } from 'node:path';
import { embeddingsOfFile } from '../core/report/embeddings';
import { table } from '../core/textTable';
import { int, type Args } from './args';
import { print, printJson } from './common';

export async function runEmbeddings(args: Args, json: boolean): Promise<void> {
  const doc = embeddingsOfFile(resolve(args.positionals[0]), { components: int(args, 'components', 1, 10_000) });
  if (json) return printJson(doc);
  print(`${basename(args.positionals[0])} (${doc.family})`);
  for (const n of doc.notes) print(`note: ${n}`);
  const p = doc.positions;
  if (p) {
    const [gh, gw] = p.grid;
    const P = gh * gw;
    // How local the embedding is: mean similarity of each patch to its 4-neighbours vs to all others.
    let near = 0;
    let nNear = 0;
    let all = 0;
    for (let i = 0; i < P; i++) {
      for (let j = 0; j < P; j++) {
        if (i === j) continue;
        const d = Math.abs(Math.floor(i / gw) - Math.floor(j / gw)) + Math.abs((i % gw) - (j % gw));
        if (d === 1) {
          near += p.similarity[i * P + j];
          nNear++;
        }
        all += p.similarity[i * P + j];
      }
    }
    print(`\nposition embeddings (${p.tensor}, ${p.kind}): ${gh}×${gw} patches, ${p.extraRows} extra row(s) left out`);
    print(`mean cosine similarity to the 4 neighbours ${(near / Math.max(1, nNear)).toFixed(4)}, to all other patches ${(all / Math.max(1, P * (P - 1))).toFixed(4)}`);
  }
  const f = doc.patchFilters;
  if (f) {
    print(`\npatch-embedding filters (${f.tensor}): ${f.filters} filters of ${f.channels}×${f.patch[0]}×${f.patch[1]}; share of variance of the top ${f.explained.length} principal components`);
    let cum = 0;
    print(table(['component', 'explained', 'cumulative'], f.explained.map((e, i) => [i + 1, `${(e * 100).toFixed(2)}%`, `${((cum += e) * 100).toFixed(2)}%`])));
  }
}
