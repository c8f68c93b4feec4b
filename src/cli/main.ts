/**
 * vit-inspect: the extension's numbers in a terminal. Every command takes --json and
 * then prints one JSON document. Exit codes: 0 ok, 2 user error (stderr), 1 bug.
 */
import { basename, join, resolve } from 'node:path';
import { inspectModel, type InspectResult } from '../core/arch/inspect';
import { readRelpos, relposDocument } from '../core/report/relpos';
import type { TreeNode } from '../core/arch/tree';
import { attentionDocument } from '../core/attention/document';
import { embeddingsOfFile } from '../core/report/embeddings';
import type sharpType from 'sharp';
import { isUserError, UserError } from '../core/errors';
import { dims, int, intList, parseArgs, str, unknownFlags, type Args } from './args';
import { table, giga, millions } from '../core/textTable';
import { hubCommands, resolveHfArgs } from './hub';
import { analyticFlops, layerSweep, omegaMsa, omegaWmsa, preset, PRESET_NAMES, type FlopsReport } from '../core/flops';
import { RuntimeClient } from '../runtime/client';
import { checkpointCommands } from './checkpoint';
import { evaluateCommands } from './evaluate';
import { doctorReport } from '../shared/doctorReport';
import { DEFAULT_PROVIDER_ORDER, adapterText } from '../core/session/providers';

type Command = { summary: string; usage: string; booleans?: string[]; run(args: Args, json: boolean): Promise<void> };

const print = (s: string): void => void process.stdout.write(s.endsWith("\n") ? s : s + "\n");
const printJson = (v: unknown): void => print(JSON.stringify(v, null, 2));

/** The embedded default model, shipped in media/models/ beside dist/. */
export function embeddedModel(name = 'fashion-vit'): string {
  return resolve(__dirname, '..', 'media', 'models', `${name}.onnx`);
}

async function withRuntime<T>(fn: (c: RuntimeClient) => Promise<T>): Promise<T> {
  const client = new RuntimeClient(join(__dirname, 'runtime.js'));
  try {
    return await fn(client);
  } finally {
    client.dispose();
  }
}

const epOrder = (args: Args) => (str(args, 'ep') ?? DEFAULT_PROVIDER_ORDER.join(',')).split(',').map((s) => s.trim()).filter(Boolean);

function printFlops(r: FlopsReport, title: string): void {
  print(`${title}\n${giga(r.macs)} MACs (${giga(r.flops)} FLOPs = 2 × MACs), ${millions(r.params)} params`);
  print('\nby role (MACs)');
  print(table(['role', 'MACs', 'share'], Object.entries(r.byRole).filter(([, v]) => v > 0).map(([k, v]) => [k, giga(v, 4), `${((v / r.macs) * 100).toFixed(1)}%`])));
  print('\nper stage: one block\'s attention, Ω(MSA) = 4hwC² + 2(hw)²C vs Ω(W-MSA) = 4hwC² + 2M²hwC');
  print(
    table(
      ['stage', 'tokens', 'C', 'M', 'Ω(MSA)', 'Ω(W-MSA)', 'MSA/W-MSA', 'quadratic share'],
      r.stages.map((st) => [st.name, `${st.tokens[0]}×${st.tokens[1]}`, st.dim, st.window ?? 'global', giga(st.msaMacs, 4), st.wmsaMacs === null ? '' : giga(st.wmsaMacs, 4), st.ratio === null ? '' : `${st.ratio.toFixed(2)}×`, `${(st.quadraticFraction * 100).toFixed(1)}%`]),
    ),
  );
}

/** Write the heatmap over the image the model saw: ViT rollout, else the last captured layer's map. */
async function writeHeatmap(out: string, cropped: { width: number; height: number; rgb: Uint8Array }, map: ArrayLike<number>, grid: [number, number], cell: number): Promise<void> {
  const sharp = require('sharp') as typeof sharpType;
  const size = Math.max(224, cropped.width);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < map.length; i++) {
    lo = Math.min(lo, map[i]);
    hi = Math.max(hi, map[i]);
  }
  const [gh, gw] = grid;
  const rgba = Buffer.alloc(gh * gw * 4);
  for (let i = 0; i < gh * gw; i++) {
    const t = hi > lo ? (map[i] - lo) / (hi - lo) : 0;
    rgba.set([Math.round(255 * Math.min(1, 2 * t)), Math.round(255 * Math.max(0, 2 * t - 1)), 32, Math.round(255 * (0.25 + 0.5 * t))], i * 4);
  }
  const scale = size / cropped.width;
  const heat = await sharp(rgba, { raw: { width: gw, height: gh, channels: 4 } }).resize(Math.round(gw * cell * scale), Math.round(gh * cell * scale), { kernel: 'nearest' }).png().toBuffer();
  await sharp(Buffer.from(cropped.rgb), { raw: { width: cropped.width, height: cropped.height, channels: 3 } })
    .resize(size, size, { kernel: 'nearest' })
    .composite([{ input: heat, left: 0, top: 0 }])
    .png()
    .toFile(out);
}

export const commands: Record<string, Command> = {
  ...checkpointCommands,
  attention: {
    summary: 'the model\'s own attention for an image: per layer (mean over heads) and ViT rollout',
    usage: 'vit-inspect attention IMAGE [--model M.onnx] [--ep cuda,cpu] [--json] [--out heat.png]',
    async run(args, json) {
      unknownFlags(args, ['model', 'ep', 'json', 'out']);
      if (args.positionals.length !== 1) throw new UserError('Give one image: vit-inspect attention IMAGE [--model M.onnx] [--out heat.png]');
      const model = resolve(str(args, 'model') ?? embeddedModel());
      const out = str(args, 'out');
      const r = await withRuntime((c) => c.request('attention', { model, image: resolve(args.positionals[0]), order: epOrder(args), topK: 3, withImage: !!out }));
      for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
      const doc = attentionDocument(r);
      if (out) {
        const last = [...r.layers].reverse().find((l) => l.data)!;
        const useRollout = doc.rollout !== null;
        await writeHeatmap(resolve(out), r.cropped!, useRollout ? doc.rollout! : doc.layers[doc.layers.length - 1].map, useRollout ? r.layers[0].grid : last.grid, useRollout ? r.layers[0].cell : last.cell);
        process.stderr.write(`wrote ${out} (${useRollout ? 'attention rollout' : `${last.name}, mean over heads`})\n`);
      }
      if (json) return printJson(doc);
      print(`${basename(model)} (${doc.family}) on ${doc.ep}: ${doc.layers.length} attention layers captured`);
      if (r.top) print(`top class: ${r.top[0].label} (${(r.top[0].prob * 100).toFixed(1)}%)`);
      const dist = new Map(doc.distance.map((d) => [d.name, d.heads]));
      print(table(['layer', 'heads', 'window', 'grid', 'max', 'argmax (row, col)', 'mean attention distance per head (px)'], doc.layers.map((l) => {
        let k = 0;
        for (let i = 1; i < l.map.length; i++) if (l.map[i] > l.map[k]) k = i;
        return [l.name, l.heads, l.window === null ? 'global' : `${l.window}${l.shifted ? ' shifted' : ''}`, `${l.grid[0]}×${l.grid[1]}`, l.map[k].toFixed(4), `(${Math.floor(k / l.grid[1])}, ${k % l.grid[1]})`, (dist.get(l.name) ?? []).map((d) => d.toFixed(1)).join(' ')];
      })));
    },
  },
  arch: {
    summary: 'family, config, params, MACs and module tree of an ONNX model or a safetensors checkpoint (weights are not read)',
    usage: 'vit-inspect arch MODEL [--image N] [--depth D] [--json]',
    async run(args, json) {
      unknownFlags(args, ['image', 'depth', 'json']);
      const r = inspectArg(args);
      for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
      const c = r.config;
      if (json)
        return printJson({
          family: r.family,
          params: r.params,
          macs: r.macs,
          config: { imageSize: c.imageSize, patchSize: c.patchSize, embedDim: c.embedDim, depths: c.depths, heads: c.heads, mlpRatio: c.mlpRatio, windowSize: c.windowSize, shiftSize: c.shiftSize, extraTokens: c.extraTokens, registers: c.registers, numClasses: c.numClasses, precision: c.precision, quantization: c.quantization, backbone: c.backbone },
          opset: r.opset,
          producer: r.producer,
          inputs: r.inputs,
          outputs: r.outputs,
          warnings: r.warnings,
          tree: r.tree,
        });
      const name = r.family === 'other' ? 'not a ViT or Swin (shown as "other")' : r.family === 'vit-hybrid' ? `hybrid ViT (${c.backbone?.kind === 'resnet' ? 'ResNet' : 'CNN'} backbone)` : r.family === 'vit' ? (c.extraTokens > 1 ? `ViT/DeiT with ${c.extraTokens} extra tokens` : 'ViT') : r.family === 'swin-v2' ? 'Swin Transformer V2' : 'Swin Transformer';
      print(`${basename(r.file)}: ${name}`);
      const rows: [string, string][] = [
        ['image size', c.imageSize ? `${c.imageSize}²` : '?'],
        ['patch size', String(c.patchSize ?? '—')],
        ['embed dim', String(c.embedDim ?? '—')],
        ['depths', c.depths?.join('-') ?? '—'],
        ['heads', c.heads?.join('-') ?? '—'],
        ['MLP ratio', String(c.mlpRatio ?? '—')],
        ['window', c.windowSize === null ? '— (global attention)' : `${c.windowSize} (shift ${c.shiftSize})`],
        ['extra tokens', `${c.extraTokens}${c.registers ? ` (${c.registers} registers)` : ''}`],
        ...(c.backbone
          ? ([
              ['backbone', `${c.backbone.kind}, stride ${c.backbone.stride ?? '? (unresolved)'}, feature map ${c.backbone.featureMap ? c.backbone.featureMap.join('×') : '?'}`],
              ['backbone params', `${c.backbone.params.toLocaleString('en-US')} of ${r.params.toLocaleString('en-US')}`],
              ['backbone MACs', `${c.backbone.macs.toLocaleString('en-US')} (transformer ${(r.macs - c.backbone.macs).toLocaleString('en-US')})`],
            ] as [string, string][])
          : []),
        ['classes', String(c.numClasses ?? '—')],
        ['precision', c.quantization ? `${c.precision} (${c.quantization === 'qdq' ? 'QDQ' : 'dynamic'} quantization)` : c.precision],
        ['params', `${r.params.toLocaleString('en-US')} (${millions(r.params)})`],
        ['MACs', `${r.macs.toLocaleString('en-US')} (${giga(r.macs)}; FLOPs = 2 × MACs)`],
        ['opset / producer', `${r.opset} / ${r.producer || '?'}`],
      ];
      print(table(['', ''], rows).split('\n').slice(2).join('\n'));
      const lines: string[] = [];
      treeLines(r.tree, 0, int(args, 'depth', 0, 100) ?? 3, lines);
      print('\n' + lines.join('\n'));
    },
  },
  embeddings: {
    summary: 'position-embedding similarity and patch-embedding filter components (ViT paper, Figure 7; reads those two weights)',
    usage: 'vit-inspect embeddings MODEL.onnx [--components K] [--json]',
    async run(args, json) {
      unknownFlags(args, ['components', 'json']);
      if (args.positionals.length !== 1) throw new UserError('Give one model: vit-inspect embeddings MODEL.onnx [--json]');
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
    },
  },
  flops: {
    summary: 'MACs of a model: counted from its graph, or analytic for a published preset',
    usage: `vit-inspect flops MODEL.onnx | --preset ${PRESET_NAMES.join('|')} [--image N] [--window M] [--json]`,
    async run(args, json) {
      unknownFlags(args, ['preset', 'image', 'window', 'json']);
      if (!str(args, 'preset') && args.positionals.length === 1) return graphFlops(args, json);
      const name = str(args, 'preset');
      if (!name && args.positionals.length === 0) throw new UserError('Give a model file or --preset NAME (one of ' + PRESET_NAMES.join(', ') + ').');
      if (name && args.positionals.length > 0) throw new UserError('Give either a model file or --preset, not both.');
      if (name) {
        const cfg = preset(name, { imageSize: int(args, 'image', 1, 100_000), windowSize: int(args, 'window', 1, 10_000) });
        const r = analyticFlops(cfg);
        if (json) return printJson({ macs: r.macs, flops: r.flops, params: r.params, byRole: r.byRole, stages: r.stages });
        return printFlops(r, `${name} at ${cfg.imageSize}²${cfg.windowSize ? `, window ${cfg.windowSize}` : ''} (analytic, as the official Swin flops())`);
      }
      return graphFlops(args, json);
    },
  },
  complexity: {
    summary: 'Ω(MSA) against Ω(W-MSA) for one attention layer across window sizes',
    usage: 'vit-inspect complexity --hw HxW --dim C [--heads N] [--windows 2,4,7,...] [--measure] [--ep LIST] [--json]',
    booleans: ['measure'],
    async run(args, json) {
      unknownFlags(args, ['hw', 'dim', 'heads', 'windows', 'measure', 'ep', 'json']);
      const hw = dims(args, 'hw');
      const dim = int(args, 'dim', 1, 1_000_000);
      if (!hw || !dim) throw new UserError('Give the feature map and width: vit-inspect complexity --hw 56x56 --dim 96 [--windows 2,4,7,14].');
      const sweep = layerSweep({ h: hw[0], w: hw[1], dim, heads: int(args, 'heads', 1, 100_000), windows: intList(args, 'windows') });
      const rows: { window: number | null; msaMacs: number; wmsaMacs: number; ms?: number; ep?: string; gflops?: number }[] = sweep.rows.map((r) => ({ window: r.window, msaMacs: r.msaMacs, wmsaMacs: r.wmsaMacs }));
      if (args.flags.get('measure') === true) await measure(args, sweep.h, sweep.w, dim, sweep.heads, rows);
      if (json) return printJson({ h: sweep.h, w: sweep.w, dim, heads: sweep.heads, crossover: sweep.crossover, rows });
      print(`${sweep.h}×${sweep.w} tokens, C = ${dim}, ${sweep.heads} head(s); MACs of one attention layer`);
      print(
        table(
          ['window', 'padded', 'Ω(MSA)', 'Ω(W-MSA)', 'MSA/W-MSA', ...(rows.some((r) => r.ms !== undefined) ? ['ms', 'GFLOP/s', 'ep'] : [])],
          sweep.rows.map((r, i) => [
            r.window ?? 'global',
            `${r.padded[0]}×${r.padded[1]}`,
            giga(r.msaMacs, 4),
            giga(r.wmsaMacs, 4),
            `${r.ratio.toFixed(2)}×`,
            ...(rows[i].ms !== undefined ? [rows[i].ms!.toFixed(2), rows[i].gflops!.toFixed(1), rows[i].ep!] : rows.some((x) => x.ms !== undefined) ? ['', '', ''] : []),
          ]),
        ),
      );
      print(`W-MSA stops being cheaper at M = ${sweep.crossover.window} (padding included); the unpadded formulas meet at M = √(hw) = ${sweep.crossover.formula.toFixed(1)}.`);
    },
  },
  classify: {
    summary: 'classify images with a ViT/Swin ONNX model (default: the embedded Fashion-MNIST ViT)',
    usage: 'vit-inspect classify IMAGE... [--model M.onnx] [--top K] [--ep cuda,cpu] [--labels FILE] [--batch N] [--json]',
    async run(args, json) {
      unknownFlags(args, ['model', 'top', 'ep', 'labels', 'batch', 'json']);
      if (args.positionals.length === 0) throw new UserError('Give at least one image: vit-inspect classify IMAGE... [--model M.onnx]');
      const model = resolve(str(args, 'model') ?? embeddedModel());
      const r = await withRuntime((c) =>
        c.request('classify', {
          model,
          images: args.positionals.map((p) => resolve(p)),
          topK: int(args, 'top', 1, 1000) ?? 5,
          order: epOrder(args),
          labelsFile: str(args, 'labels'),
          batch: int(args, 'batch', 1, 1024),
        }),
      );
      const failed = r.results.filter((x) => !x.ok);
      const ms = (v: number) => +v.toFixed(2);
      if (json) {
        const { summary, ...pre } = r.preprocessing;
        printJson({
          model: r.model,
          ep: r.ep,
          labels: r.labels.source,
          inputType: r.inputType,
          batch: r.batch,
          prepared: r.prepared,
          loadMs: ms(r.loadMs),
          preprocessing: { ...pre, summary },
          results: r.results.map((x) =>
            x.ok
              ? {
                  image: x.image,
                  top: x.top,
                  logits: Array.from(x.logits),
                  preprocessing: { original: x.original, resized: x.steps.resized, crop: x.steps.crop },
                  timings: { decode: ms(x.timings.decode), preprocess: ms(x.timings.preprocess), run: ms(x.timings.run), batch: x.timings.batch },
                }
              : { image: x.image, error: x.error },
          ),
        });
      } else {
        print(`model ${r.model}\nprovider ${r.ep}${r.failures.length ? ` (not: ${r.failures.map((f) => `${f.ep}: ${f.reason}`).join('; ')})` : ''}\nlabels ${r.labels.source}`);
        print(`preprocessing ${r.preprocessing.summary}\nbatch ${r.batch.size} (${r.batch.reason}); model load ${r.loadMs.toFixed(0)} ms`);
        for (const x of r.results) {
          print(`\n${x.image}`);
          if (!x.ok) print(`  error: ${x.error}`);
          else {
            print(`  ${x.original.width}×${x.original.height} ${x.original.format} → ${x.steps.resized[0]}×${x.steps.resized[1]}${x.steps.crop ? ` → crop ${x.steps.crop.width}×${x.steps.crop.height} at (${x.steps.crop.left}, ${x.steps.crop.top})` : ''}; decode ${x.timings.decode.toFixed(1)} ms, preprocess ${x.timings.preprocess.toFixed(1)} ms, run ${x.timings.run.toFixed(1)} ms${x.timings.batch > 1 ? ` (share of a batch of ${x.timings.batch})` : ''}`);
            print(table(['#', 'class', 'label', 'prob'], x.top.map((t, i) => [i + 1, t.index, t.label, `${(t.prob * 100).toFixed(2)}%`])));
          }
        }
      }
      if (failed.length === r.results.length) throw new UserError(`No image could be classified: ${failed[0].ok ? '' : failed[0].error}`);
    },
  },
  relpos: {
    summary: 'Swin\'s learned relative position bias: each block\'s (2M−1)×(2M−1) table per head, from the model\'s weights',
    usage: 'vit-inspect relpos MODEL.onnx [--json]',
    async run(args, json) {
      unknownFlags(args, ['json']);
      if (args.positionals.length !== 1) throw new UserError('Give one model file: vit-inspect relpos MODEL.onnx [--json]');
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
    },
  },
  placement: {
    summary: 'which execution provider ran each node of a model (one profiled run)',
    usage: 'vit-inspect placement [MODEL.onnx] [--ep cuda,cpu] [--json]',
    async run(args, json) {
      unknownFlags(args, ['ep', 'json']);
      const model = resolve(args.positionals[0] ?? embeddedModel());
      const r = await withRuntime((c) => c.request('placement', { model, order: epOrder(args) }));
      if (json) return printJson(r);
      print(`${basename(model)} on ${r.ep}: ${r.nodes} nodes${r.failures.length ? ` (not: ${r.failures.map((f) => `${f.ep}: ${f.reason}`).join('; ')})` : ''}`);
      print(table(['provider', 'nodes', 'kernel ms'], r.byProvider.map((b) => [b.provider, b.nodes, b.ms.toFixed(2)])));
      if (r.fallback.length) print(`\n${r.fallback.length} node(s) not on ${r.ep}:\n` + r.fallback.slice(0, 40).map((f) => `  ${f.op.padEnd(16)} ${f.provider.padEnd(24)} ${f.name}`).join('\n'));
      else print(`every node ran on ${r.ep}`);
    },
  },
  providers: {
    summary: 'which ONNX Runtime execution providers this build has and which start here',
    usage: 'vit-inspect providers [--ep cuda,dml,coreml,webgpu,cpu] [--json]',
    async run(args, json) {
      unknownFlags(args, ['ep', 'json']);
      const r = await withRuntime((c) => c.request('providers', { order: epOrder(args) }));
      {
        if (json) return printJson(r);
        print(`ONNX Runtime ${r.ortVersion} on ${r.platform}`);
        print(table(['provider', 'status', 'ms', 'adapter / why not'], r.providers.map((p) => [p.name, !p.compiled ? 'not in this build' : p.works ? 'works' : 'fails', p.ms ?? '', [p.adapter ? adapterText(p.adapter) : null, p.reason, p.fix].filter(Boolean).join(' — ')])));
      }
    },
  },
  doctor: {
    summary: 'GPU self-check: every provider probed; the embedded models and a ViT-B/16 attention layer run on each one that starts, against the CPU provider',
    usage: 'vit-inspect doctor [--json]',
    async run(args, json) {
      unknownFlags(args, ['json']);
      if (args.positionals.length) throw new UserError('doctor takes no arguments: vit-inspect doctor [--json]');
      if (!json) process.stderr.write('running the GPU self-check (the first run on a GPU compiles its shaders: up to a minute on a software adapter)…\n');
      const r = await withRuntime((c) => c.request('doctor', { models: [embeddedModel('fashion-vit'), embeddedModel('fashion-swin')] }));
      if (json) return printJson(r);
      print(doctorReport(r));
    },
  },
};

function inspectArg(args: Args): InspectResult {
  if (args.positionals.length !== 1) throw new UserError('Give exactly one model file.');
  return inspectModel(resolve(args.positionals[0]), { imageSize: int(args, 'image', 1, 10_000) });
}

/** MACs counted from the graph (Conv/MatMul/Gemm), with the paper's per-stage Ω(MSA)/Ω(W-MSA) for the detected stages. */
async function graphFlops(args: Args, json: boolean): Promise<void> {
  if (str(args, 'window') !== undefined) throw new UserError('--window applies to --preset only: a model file has the window it was exported with.');
  const r = inspectArg(args);
  const stages = r.stages.map((s, i) => {
    const [h, w] = s.tokens;
    const msa = omegaMsa(h, w, s.dim);
    const wmsa = s.window === null ? null : omegaWmsa(h, w, s.dim, s.window);
    return { name: `stage${i + 1}`, tokens: s.tokens, dim: s.dim, window: s.window, heads: s.heads, depth: s.depth, msaMacs: msa, wmsaMacs: wmsa, ratio: wmsa ? msa / wmsa : null };
  });
  for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
  if (json) return printJson({ macs: r.macs, flops: 2 * r.macs, params: r.params, byRole: r.byRole, stages });
  print(`${basename(r.file)}: ${r.family}, ${r.imageSize ? `${r.imageSize[0]}×${r.imageSize[1]}` : ''}\n${giga(r.macs)} MACs (${giga(2 * r.macs)} FLOPs = 2 × MACs; Conv/MatMul/Gemm), ${millions(r.params)} params`);
  print(`plus ${millions(r.elementwise)} element-wise ops, ${millions(r.softmax)} Softmax and ${millions(r.norm)} normalised elements (not MACs)`);
  print('\nby role (MACs)');
  print(table(['role', 'MACs', 'share'], Object.entries(r.byRole).filter(([, v]) => v > 0).map(([k, v]) => [k, giga(v, 4), `${((v / Math.max(1, r.macs)) * 100).toFixed(1)}%`])));
  if (stages.length) {
    print('\nper stage: one block, Ω(MSA) = 4hwC² + 2(hw)²C vs Ω(W-MSA) = 4hwC² + 2M²hwC');
    print(table(['stage', 'tokens', 'C', 'heads', 'blocks', 'M', 'Ω(MSA)', 'Ω(W-MSA)', 'MSA/W-MSA'], stages.map((s) => [s.name, `${s.tokens[0]}×${s.tokens[1]}`, s.dim, s.heads, s.depth, s.window ?? 'global', giga(s.msaMacs, 4), s.wmsaMacs === null ? '' : giga(s.wmsaMacs, 4), s.ratio === null ? '' : `${s.ratio.toFixed(2)}×`])));
  }
}

function treeLines(node: TreeNode, depth: number, maxDepth: number, out: string[]): void {
  const rep = node.repeat && node.repeat > 1 ? ` × ${node.repeat}` : '';
  const shape = node.outputShape ? ` [${node.outputShape.join(', ')}]` : '';
  out.push(`${'  '.repeat(depth)}${node.name}${rep}  ${node.kind}${node.op ? ` ${node.op}` : ''}${shape}  ${millions(node.params)} params  ${giga(node.macs, 4)} MACs`);
  if (depth < maxDepth) for (const c of node.children) if (c.kind !== 'op' || depth + 1 < maxDepth) treeLines(c, depth + 1, maxDepth, out);
}

/** Time each row's attention layer (synthesised ONNX graph) on the first provider of --ep that starts. */
async function measure(args: Args, h: number, w: number, dim: number, heads: number, rows: { window: number | null; ms?: number; ep?: string; gflops?: number; msaMacs: number; wmsaMacs: number }[]): Promise<void> {
  const r = await withRuntime((c) => c.request('timeAttention', { h, w, dim, heads, windows: rows.map((x) => x.window), order: epOrder(args) }));
  for (const t of r.rows) {
    const row = rows.find((x) => x.window === t.window);
    if (row) Object.assign(row, { ms: t.ms, ep: t.ep, gflops: t.gflops });
  }
  process.stderr.write(`measured on ${r.ep}: median of repeats; this machine's dense ${r.matmulN}² MatMul reaches ${r.matmulGflops.toFixed(1)} GFLOP/s\n`);
}

Object.assign(commands, hubCommands, evaluateCommands);

function help(): string {
  const lines = ['vit-inspect — look inside ViT and Swin ONNX models', '', 'Commands:'];
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(11)} ${c.summary}`, `              ${c.usage}`);
  lines.push('', 'Every command takes --json. Exit codes: 0 ok, 2 user error, 1 bug.');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    print(help());
    return name ? 0 : 2;
  }
  const cmd = commands[name];
  try {
    if (!cmd) throw new UserError(`Unknown command "${name}". Run vit-inspect --help.`);
    if (rest.includes('--help')) {
      print(cmd.usage);
      return 0;
    }
    const args = parseArgs(rest, new Set(['json', ...(cmd.booleans ?? [])]));
    if (name !== 'pull') await resolveHfArgs(args);
    await cmd.run(args, args.flags.get('json') === true);
    return 0;
  } catch (e) {
    if (isUserError(e)) {
      process.stderr.write(`vit-inspect: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`vit-inspect: internal error (a bug, please report): ${(e as Error)?.stack ?? e}\n`);
    return 1;
  }
}

if (require.main === module) void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
