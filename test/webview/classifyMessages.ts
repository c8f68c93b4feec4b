// What the host sends the classify panel after a real capture of the tiny ViT and Swin fixtures.
import { join } from 'node:path';
import { attention, type AttentionResult } from '../../src/runtime/capture';
import type { ClassifyView } from '../../src/shared/protocol';
import { root } from './browser';
import type { PanelPage } from './harness';

const model = (name: string) => join(root, 'test', 'fixtures', 'models', `${name}.onnx`);
const image = join(root, 'test', 'fixtures', 'images', 'disc.png');

/** What the host sends (classifyPanel.ts): the summary's maps, no tensors (they follow on demand: serveLayers). */
export function messages(r: AttentionResult, name: string): unknown[] {
  const [classified, attention] = fullMessages(r, name) as [unknown, Record<string, unknown>];
  return [classified, { ...attention, layers: r.layers.map((l) => ({ ...l, data: null })), summary: r.summary }];
}

/** The same with every tensor in the attention message and no summary (the view then computes every map itself). */
export function fullMessages(r: AttentionResult, name: string): unknown[] {
  const view: ClassifyView = {
    imageName: 'disc.png',
    imagePath: image,
    modelName: `${name}.onnx`,
    modelPath: model(name),
    ep: r.ep,
    failures: [{ ep: 'cuda', reason: 'the CUDA provider libraries of onnxruntime-node are not installed' }],
    pixels: r.cropped!,
    original: r.original,
    top: r.top!,
    timings: { decode: 1, preprocess: 1, run: r.timings.run, load: r.loadMs },
    labelsSource: 'labels.txt',
    preprocessing: 'resize 32 bilinear, crop 32',
    grid: { patch: r.config.patchSize!, window: r.config.windowSize, family: r.family },
  };
  return [
    { type: 'classified', view, providers: ['cuda', 'cpu'] },
    { type: 'attention', family: r.family, ep: r.ep, inputSize: r.imageSize[0], layers: r.layers, warnings: r.warnings },
  ];
}

/** One run of a fixture model on disc.png with every attention map captured (CPU). */
export function capture(name: string): Promise<AttentionResult> {
  return attention({ model: model(name), image, order: ['cpu'], withImage: true, topK: 5, summary: true });
}

let both: Promise<[AttentionResult, AttentionResult]> | undefined;
/** The tiny ViT's and Swin's captures, made once per test run. */
export function tinyCaptures(): Promise<[AttentionResult, AttentionResult]> {
  return (both ??= Promise.all([capture('tiny_vit'), capture('tiny_swin')]));
}

/**
 * Answers the panel's requests for attention tensors (wantAttentionLayers) as the host does, with
 * those of `r`: the requests posted since the last call. Returns the layers sent, request by request.
 */
export async function serveLayers(panel: PanelPage, r: AttentionResult): Promise<number[][]> {
  const posted = await panel.posted();
  const served = (panel as PanelPage & { __served?: number }).__served ?? 0;
  (panel as PanelPage & { __served?: number }).__served = posted.length;
  const sent: number[][] = [];
  for (const m of posted.slice(served)) {
    if (m.type !== 'wantAttentionLayers') continue;
    const idx = m.layers as number[];
    sent.push(idx);
    await panel.send({ type: 'attentionLayers', layers: idx.flatMap((index) => (r.layers[index]?.data ? [{ index, data: r.layers[index].data }] : [])) });
  }
  return sent;
}
