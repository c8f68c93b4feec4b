/**
 * What a trace of one model file needs, decided once per file and input size: the attention
 * capture plan (core/attention/capture.ts: its refusals of fused attention and of models that are
 * not a ViT/Swin come with it), the graph analysis and detection, the valid ranges of layer, head
 * and token, and the Swin bias tables. The taps of one block are added as outputs per layer.
 */
import { analyzeGraph } from '../arch/analysis';
import { UserError, isUserError } from '../errors';
import type { Detection } from '../arch/detect';
import { detectArchitecture } from '../arch/detect';
import { type CapturePlan, planCapture } from '../attention/capture';
import type { GraphAnalysis } from '../graph/structure';
import { addGraphOutputs } from '../onnx/writer';
import { DataType } from '../onnx/proto';
import { inferShapes } from '../onnx/shapes';
import { relposOfAnalysis } from '../report/relpos';
import { LruCache } from '../session/fileCache';
import { isSwinFamily } from '../terms';
import { FUSED_HIDDEN_STEPS, type TraceTaps, tapTensors, traceTaps } from './plan';
import type { TraceFamily } from './types';
import { type TraceRanges, extraTokenNames } from './selection';

export interface TraceModel {
  capture: CapturePlan;
  a: GraphAnalysis;
  det: Detection;
  family: TraceFamily;
  ranges: TraceRanges;
  /** ViT: the kind of each token before the patches */
  extraTokens: string[];
  /** Swin: each block's bias table, head-major, or null (not readable) */
  biasTables: (Float32Array | null)[];
}

const models = new LruCache<TraceModel>(4);


export function traceModel(modelPath: string, imageSize?: number): TraceModel {
  let capture: CapturePlan;
  try {
    capture = planCapture(modelPath, { imageSize });
  } catch (e) {
    if (!isUserError(e) || !/fused operators/.test(e.message)) throw e;
    // fused attention: the step-through shows the rest of each block (assemble.ts marks the hidden steps)
    try {
      capture = planCapture(modelPath, { imageSize, allowFused: true });
    } catch (e2) {
      if (isUserError(e2) && /fused operators/.test(e2.message)) {
        throw new UserError(`${e2.message} For the step-through this hides the steps ${FUSED_HIDDEN_STEPS.join(', ')} (no q, k, v or attention tensor exists in the graph), and no ViT/Swin block is left to follow around them.`);
      }
      throw e2;
    }
  }
  return models.getOrSet(capture.key, () => {
    const a = analyzeGraph(capture.model, inferShapes(capture.model, { imageSize: capture.imageSize[0] }));
    const det = detectArchitecture(a);
    const fam = det.family;
    const family: TraceFamily = fam === 'vit-hybrid' || fam === 'swin' || fam === 'swin-v2' ? fam : 'vit';
    const layers = capture.layers;
    const ranges: TraceRanges = {
      layers: layers.length,
      heads: layers.map((l) => l.heads),
      tokens: layers.map((l) => (l.window === null ? l.tokens : l.grid[0] * l.grid[1])),
    };
    const extraTokens = isSwinFamily(fam) ? [] : extraTokenNames(capture.config.extraTokens, capture.config.registers);
    let biasTables: (Float32Array | null)[] = layers.map(() => null);
    if (isSwinFamily(fam)) {
      try {
        biasTables = relposOfAnalysis(a, det).layers.map((l) => (l.status === 'ok' ? l.table : null));
      } catch {
        // shown as an unavailable step
      }
    }
    return { capture, a, det, family, ranges, extraTokens, biasTables };
  });
}

/** The capture plan of one traced block: the block's taps added as graph outputs (a session of its own). */
export function traceCapture(m: TraceModel, layer: number): { plan: CapturePlan; taps: TraceTaps; fetches: string[] } {
  const taps = traceTaps(m.capture.model, m.a, m.det, layer);
  const names = tapTensors(taps);
  // a fused op's optional output the trace reads (SkipLayerNormalization's sum): named on its node first
  const nodes = m.capture.model.graph.nodes.map((n, i) => {
    const e = taps.expose.filter((x) => x.node === i);
    if (!e.length) return n;
    const outputs = [...n.outputs];
    for (const x of e) {
      while (outputs.length < x.index) outputs.push('');
      outputs[x.index] = x.name;
    }
    return { ...n, outputs, span: undefined };
  });
  const exposed = { ...m.capture.model, graph: { ...m.capture.model.graph, nodes } };
  const dtype = (name: string): number => {
    const e = taps.expose.find((x) => x.name === name);
    return m.a.shapes.tensors.get(e ? m.a.nodes[e.node].outputs[0] : name)?.dtype ?? DataType.FLOAT;
  };
  const model = addGraphOutputs(exposed, names.map((name) => ({ name, elemType: dtype(name) })));
  return { plan: { ...m.capture, key: `${m.capture.key}|trace|${layer}`, model }, taps, fetches: [m.capture.logitsName, ...names] };
}
