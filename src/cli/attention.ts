/** `vit-inspect attention`: the model's own attention for an image, and the heat map over it. */
import { basename, resolve } from 'node:path';
import type sharpType from 'sharp';
import { lut, range } from '../core/colormap';
import { attentionDocument } from '../core/attention/document';
import { table } from '../core/textTable';
import { str, type Args } from './args';
import { epOrder, modelFlag, print, printJson, warn, withRuntime } from './common';

export async function runAttention(args: Args, json: boolean): Promise<void> {
  const model = modelFlag(args);
  const out = str(args, 'out');
  const r = await withRuntime((c) => c.request('attention', { model, image: resolve(args.positionals[0]), order: epOrder(args), topK: 3, withImage: !!out }));
  warn(r.warnings);
  const doc = attentionDocument(r);
  if (out) {
    const last = [...r.layers].reverse().find((l) => l.data)!;
    const useRollout = doc.rollout !== null;
    await writeHeatmap(resolve(out), r.cropped!, useRollout ? doc.rollout! : doc.layers[doc.layers.length - 1].map, useRollout ? r.layers[0].grid : last.grid, useRollout ? r.layers[0].cell : last.cell);
    process.stderr.write(`wrote ${out} (${useRollout ? 'attention rollout' : `${last.name}, mean over heads`})\n`);
  }
  if (json) return printJson(doc);
  print(`${basename(model)} (${doc.family}) on ${doc.ep}${r.compute ? ` (${r.compute})` : ''}: ${doc.layers.length} attention layers captured`);
  if (r.top) print(`top class: ${r.top[0].label} (${(r.top[0].prob * 100).toFixed(1)}%)`);
  const dist = new Map(doc.distance.map((d) => [d.name, d.heads]));
  print(table(['layer', 'heads', 'window', 'grid', 'max', 'argmax (row, col)', 'mean attention distance per head (px)'], doc.layers.map((l) => {
    let k = 0;
    for (let i = 1; i < l.map.length; i++) if (l.map[i] > l.map[k]) k = i;
    return [l.name, l.heads, l.window === null ? 'global' : `${l.window}${l.shifted ? ' shifted' : ''}`, `${l.grid[0]}×${l.grid[1]}`, l.map[k].toFixed(4), `(${Math.floor(k / l.grid[1])}, ${k % l.grid[1]})`, (dist.get(l.name) ?? []).map((d) => d.toFixed(1)).join(' ')];
  })));
}

/** Write the heatmap over the image the model saw: ViT rollout, else the last captured layer's map. */
async function writeHeatmap(out: string, cropped: { width: number; height: number; rgb: Uint8Array }, map: ArrayLike<number>, grid: [number, number], cell: number): Promise<void> {
  const sharp = require('sharp') as typeof sharpType;
  const size = Math.max(224, cropped.width);
  // The panel's colour ramp (viridis), its alpha rising with the value so the image shows through where attention is low.
  const [lo, hi] = range(map);
  const ramp = lut('viridis');
  const [gh, gw] = grid;
  const rgba = Buffer.alloc(gh * gw * 4);
  for (let i = 0; i < gh * gw; i++) {
    const t = hi > lo ? (map[i] - lo) / (hi - lo) : 0;
    const k = Math.round(255 * t) * 3;
    rgba.set([ramp[k], ramp[k + 1], ramp[k + 2], Math.round(255 * (0.25 + 0.5 * t))], i * 4);
  }
  const scale = size / cropped.width;
  const heat = await sharp(rgba, { raw: { width: gw, height: gh, channels: 4 } }).resize(Math.round(gw * cell * scale), Math.round(gh * cell * scale), { kernel: 'nearest' }).png().toBuffer();
  await sharp(Buffer.from(cropped.rgb), { raw: { width: cropped.width, height: cropped.height, channels: 3 } })
    .resize(size, size, { kernel: 'nearest' })
    .composite([{ input: heat, left: 0, top: 0 }])
    .png()
    .toFile(out);
}

