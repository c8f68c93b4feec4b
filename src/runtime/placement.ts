/**
 * Where ONNX Runtime placed each node: one profiled run on a provider of the user's order.
 * A GPU provider runs what it supports and hands the rest to the CPU; the profile's
 * per-kernel events say which provider ran each node, so a user sees what fell back.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { UserError } from '../core/errors';
import { openSession, zeroFeeds } from './sessions';
import type { PlacementResult } from '../shared/providers';

export interface PlacementParams {
  model: string;
  order: string[];
}

/** onnxruntime-node's provider names in the profile, from the names users give in settings. */
export const PROVIDER_NAMES: Record<string, string> = {
  cpu: 'CPUExecutionProvider',
  cuda: 'CUDAExecutionProvider',
  tensorrt: 'TensorrtExecutionProvider',
  dml: 'DmlExecutionProvider',
  coreml: 'CoreMLExecutionProvider',
  webgpu: 'WebGpuExecutionProvider',
};

interface ProfileEvent {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string; provider?: string };
}

/** Aggregate a profile's kernel events per provider; nodes not on `ep` are the fallback. */
export function summariseProfile(events: ProfileEvent[], ep: string): Omit<PlacementResult, 'model' | 'ep' | 'failures'> {
  const kernels = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time') && e.args?.provider);
  const by = new Map<string, { nodes: number; ms: number }>();
  const fallback: PlacementResult['fallback'] = [];
  const expected = PROVIDER_NAMES[ep] ?? ep;
  for (const e of kernels) {
    const p = e.args!.provider!;
    const b = by.get(p) ?? { nodes: 0, ms: 0 };
    b.nodes++;
    b.ms += e.dur / 1000;
    by.set(p, b);
    if (p !== expected && fallback.length < 500) fallback.push({ name: e.name.replace(/_kernel_time$/, ''), op: e.args!.op_name ?? '?', provider: p });
  }
  return {
    copies: kernels.filter((e) => /^Memcpy(FromHost|ToHost)$/.test(e.args?.op_name ?? '')).length,
    nodes: kernels.length,
    byProvider: [...by.entries()].map(([provider, b]) => ({ provider, nodes: b.nodes, ms: Math.round(b.ms * 100) / 100 })).sort((a, b) => b.nodes - a.nodes),
    fallback,
  };
}

export async function placement(p: PlacementParams): Promise<PlacementResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vit-profile-'));
  try {
    const s = await openSession(p.model, p.order, { sessionOptions: { enableProfiling: true, profileFilePrefix: join(dir, 'profile') } });
    try {
      for (const m of s.session.inputMetadata)
        if (!m.isTensor || m.type !== 'float32')
          throw new UserError(`${basename(p.model)}'s input "${m.name}" is not a float32 tensor; node placement needs a float image input.`);
      // Dynamic dimensions: batch 1, image 224.
      await s.session.run(zeroFeeds(s.session)!);
      s.session.endProfiling();
    } finally {
      await s.session.release();
    }
    const file = readdirSync(dir).find((f) => f.endsWith('.json'));
    if (!file) throw new Error('ONNX Runtime wrote no profile');
    const summary = summariseProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')), s.ep);
    return { model: p.model, ep: s.ep, failures: s.failures, ...summary };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
