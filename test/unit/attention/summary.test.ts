import assert from 'node:assert/strict';
import type { CapturedLayer } from '../../../src/core/attention/maps';
import { layerMap, rolloutMap, stageMaps } from '../../../src/core/attention/document';
import { modelView } from '../../../src/core/attention/modelView';
import { attentionSummary, summaryMap, typedBytes } from '../../../src/core/attention/summary';

/** Softmax-like rows (positive, summing to 1), seeded. */
function rows(groups: number, heads: number, N: number, seed: number): Float32Array {
  const d = new Float32Array(groups * heads * N * N);
  let x = seed;
  for (let r = 0; r < groups * heads * N; r++) {
    let sum = 0;
    for (let j = 0; j < N; j++) sum += d[r * N + j] = ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) ** 3 + 1e-4;
    for (let j = 0; j < N; j++) d[r * N + j] /= sum;
  }
  return d;
}

/** ViT-B/16 at 224²: 12 blocks, 12 heads, 1 + 14×14 tokens. */
function vitB16(): CapturedLayer[] {
  return Array.from({ length: 12 }, (_, i) => ({
    name: `encoder.block${i}`, output: `a${i}`, stage: 0, block: i, heads: 12, tokens: 197, window: null, shifted: false, shift: 0,
    grid: [14, 14], cell: 16, extraTokens: 1, dims: [1, 12, 197, 197], data: rows(1, 12, 197, i + 1),
  }));
}

/** A Swin stage: 8×8 tokens, windows of 4 (4 windows), the second block shifted by 2; 3 heads. */
function swinStage(): CapturedLayer[] {
  return [0, 1].map((b) => ({
    name: `stage1.block${b}`, output: `s${b}`, stage: 0, block: b, heads: 3, tokens: 16, window: 4, shifted: b === 1, shift: b === 1 ? 2 : 0,
    grid: [8, 8], cell: 4, extraTokens: 0, dims: [4, 3, 16, 16], data: rows(4, 3, 16, 10 + b),
  }));
}

describe('attention summary: the maps the view draws first (issue 22 item 6)', () => {
  it('ViT-B/16: every layer map, the rollout and the model view rows are those computed from the tensors, bit for bit', () => {
    const layers = vitB16();
    const s = attentionSummary('vit', layers);
    layers.forEach((l, i) => {
      for (const head of ['mean', 'max', 0, 5, 11] as const) assert.deepEqual(summaryMap(s, i, head), layerMap(l, head), `${l.name} ${head}`);
    });
    assert.deepEqual(s.rollout, rolloutMap(layers));
    assert.deepEqual(s.rolloutRows, modelView(layers, { kind: 'rollout' }));
    // The model view's class-token rows are the per-head maps.
    assert.deepEqual(modelView(layers, { kind: 'class' }).map((r) => r.map((x) => x.map)), s.layers.map((m) => m!.heads));
  });

  it('ViT-B/16: 22,353,984 bytes of tensors become 245,392 bytes of maps posted first (91× fewer)', () => {
    const layers = vitB16();
    const tensors = typedBytes(layers);
    const summary = typedBytes(attentionSummary('vit', layers));
    assert.equal(tensors, 12 * 12 * 197 * 197 * 4);
    // Per layer 12 heads + mean + max maps of 196 floats; the rollout; 12 × 12 rollout rows of 196.
    assert.equal(summary, (12 * 14 * 196 + 196 + 12 * 12 * 196) * 4);
    assert.equal(summary, 245_392);
  });

  it('Swin: stage means from the summary equal those from the tensors; no rollout; an uncaptured layer stays null', () => {
    const layers = [...swinStage(), { ...swinStage()[0], name: 'stage1.block2', block: 2, data: null }];
    const s = attentionSummary('swin', layers);
    assert.equal(s.rollout, null);
    assert.equal(s.rolloutRows, null);
    assert.equal(s.layers[2], null);
    assert.equal(summaryMap(s, 2, 'mean'), null);
    for (const head of ['mean', 'max', 2] as const)
      assert.deepEqual(stageMaps(layers, head, (_l, i, h) => summaryMap(s, i, h)), stageMaps(layers, head), String(head));
  });

  it('the comparison can fail: a map of another head is told apart', () => {
    const layers = vitB16().slice(0, 1);
    const s = attentionSummary('vit', layers);
    assert.notDeepEqual(summaryMap(s, 0, 1), layerMap(layers[0], 0));
  });
});
