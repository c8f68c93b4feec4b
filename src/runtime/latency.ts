/**
 * Measured latency per image of two or more models on the active provider, for Compare Models:
 * the same images, preprocessed once per model (untimed), then rounds in which every model runs
 * every image with batch 1, the models' order rotated each round so that neither always runs on a
 * warm (or throttled) machine first. Only session.run is timed; one untimed run per model first.
 */
import { basename } from 'node:path';
import type * as ortType from 'onnxruntime-node';
import { UserError } from '../core/errors';
import { modelFile } from '../core/checkpoint';
import { toInputData } from '../core/session/dtype';
import { capturePreprocessing } from '../core/attention/capture';
import { checkImageInput } from '../core/image/inputCheck';
import { resolvePreprocessing } from '../core/image/preprocess';
import { latencySchedule } from '../core/compare/document';
import { prepareImage } from './prepare';
import { openSession, ort, runSession, type OpenSession } from './sessions';

export interface LatencyParams {
  models: string[];
  images: string[];
  order: string[];
  /** Rounds over all models and images (default 3). */
  rounds?: number;
  maxPixels?: number;
}

export interface LatencyResult {
  /** Per model, in the order given: the provider it ran on and each timed run (ms). */
  models: { model: string; ep: string; ms: number[] }[];
  images: number;
  rounds: number;
}

interface Ready {
  model: string;
  s: OpenSession;
  feeds: Record<string, ortType.Tensor>[];
}

async function ready(model: string, images: string[], order: string[], maxPixels?: number): Promise<Ready> {
  const s = await openSession(model, order);
  const display = basename(model);
  const input = s.session.inputMetadata[0];
  if (!input || !input.isTensor) throw new UserError(`${display} has no tensor input; it is not an image classifier.`);
  const { channels, height } = checkImageInput(display, s.session.inputNames, input.name, input.shape);
  const pre = height !== null ? resolvePreprocessing(model, height, channels, {}) : capturePreprocessing(model, {});
  const o = ort();
  const feeds: Record<string, ortType.Tensor>[] = [];
  for (const image of images) {
    const p = await prepareImage(image, pre, maxPixels, false);
    if (!p.ok) continue;
    const fed = toInputData(p.tensor.data, input.type, display);
    feeds.push({ [input.name]: new o.Tensor(fed.type, fed.data, p.tensor.dims) });
  }
  if (!feeds.length) throw new UserError(`None of the ${images.length} images could be read for ${display}.`);
  return { model, s, feeds };
}

export async function latency(p: LatencyParams): Promise<LatencyResult> {
  if (p.models.length === 0 || p.images.length === 0) throw new UserError('Latency needs at least one model and one image.');
  const rounds = Math.max(1, Math.min(p.rounds ?? 3, 50));
  const all: Ready[] = [];
  for (const m of p.models) all.push(await ready(modelFile(m), p.images, p.order, p.maxPixels));
  const ms = all.map(() => [] as number[]);
  // Untimed: the first run of a session allocates its buffers.
  for (const r of all) await runSession(r.s, r.feeds[0], p.order);
  for (const round of latencySchedule(all.length, rounds))
    for (const i of round) {
      const r = all[i];
      for (const feeds of r.feeds) {
        const t0 = performance.now();
        await runSession(r.s, feeds, p.order);
        ms[i].push(performance.now() - t0);
      }
    }
  return { models: all.map((r, i) => ({ model: r.model, ep: r.s.ep, ms: ms[i] })), images: all[0].feeds.length, rounds };
}
