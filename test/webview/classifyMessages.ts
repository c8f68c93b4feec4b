// What the host sends the classify panel after a real capture of the tiny ViT and Swin fixtures.
import { join } from 'node:path';
import { attention, type AttentionResult } from '../../src/runtime/capture';
import type { ClassifyView } from '../../src/shared/protocol';
import { root } from './browser';

const model = (name: string) => join(root, 'test', 'fixtures', 'models', `${name}.onnx`);
const image = join(root, 'test', 'fixtures', 'images', 'disc.png');

export function messages(r: AttentionResult, name: string): unknown[] {
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
  return attention({ model: model(name), image, order: ['cpu'], withImage: true, topK: 5 });
}

let both: Promise<[AttentionResult, AttentionResult]> | undefined;
/** The tiny ViT's and Swin's captures, made once per test run. */
export function tinyCaptures(): Promise<[AttentionResult, AttentionResult]> {
  return (both ??= Promise.all([capture('tiny_vit'), capture('tiny_swin')]));
}
