/** `vit-inspect arch`: family, config, params, MACs and the module tree. */
import { basename } from 'node:path';
import type { TreeNode } from '../core/arch/tree';
import { giga, millions, table } from '../core/textTable';
import { int, type Args } from './args';
import { inspectArg, print, printJson, warn } from './common';

export async function runArch(args: Args, json: boolean): Promise<void> {
  const r = inspectArg(args);
  warn(r.warnings);
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
}

function treeLines(node: TreeNode, depth: number, maxDepth: number, out: string[]): void {
  const rep = node.repeat && node.repeat > 1 ? ` × ${node.repeat}` : '';
  const shape = node.outputShape ? ` [${node.outputShape.join(', ')}]` : '';
  out.push(`${'  '.repeat(depth)}${node.name}${rep}  ${node.kind}${node.op ? ` ${node.op}` : ''}${shape}  ${millions(node.params)} params  ${giga(node.macs, 4)} MACs`);
  if (depth < maxDepth) for (const c of node.children) if (c.kind !== 'op' || depth + 1 < maxDepth) treeLines(c, depth + 1, maxDepth, out);
}
