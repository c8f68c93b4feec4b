/** `vit-inspect flops` (counted from a graph or analytic for a preset) and `vit-inspect complexity` (Ω(MSA) against Ω(W-MSA)). */
import { basename } from 'node:path';
import { UserError } from '../core/errors';
import { analyticFlops, layerSweep, omegaMsa, omegaWmsa, preset, PRESET_NAMES, type FlopsReport } from '../core/flops';
import { giga, millions, table } from '../core/textTable';
import { dims, int, intList, str, type Args } from './args';
import { epOrder, inspectArg, print, printJson, warn, withRuntime } from './common';

export async function runFlops(args: Args, json: boolean): Promise<void> {
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
}

export async function runComplexity(args: Args, json: boolean): Promise<void> {
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
}

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
  warn(r.warnings);
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

/** Time each row's attention layer (synthesised ONNX graph) on the first provider of --ep that starts. */
async function measure(args: Args, h: number, w: number, dim: number, heads: number, rows: { window: number | null; ms?: number; ep?: string; gflops?: number; msaMacs: number; wmsaMacs: number }[]): Promise<void> {
  const r = await withRuntime((c) => c.request('timeAttention', { h, w, dim, heads, windows: rows.map((x) => x.window), order: epOrder(args) }));
  for (const t of r.rows) {
    const row = rows.find((x) => x.window === t.window);
    if (row) Object.assign(row, { ms: t.ms, ep: t.ep, gflops: t.gflops });
  }
  process.stderr.write(`measured on ${r.ep}: median of repeats; this machine's dense ${r.matmulN}² MatMul reaches ${r.matmulGflops.toFixed(1)} GFLOP/s\n`);
}
