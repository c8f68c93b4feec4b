// The step-through (webview/trace) in real Chromium fed real traces: the inference process traces the
// tiny fixtures (ViT, the class token, DeiT, registers, a hybrid's feature-map cell, fused attention,
// Swin shifted and unshifted with patch merging, Swin V2, fp16, dynamic int8, an ORT-optimized graph
// and a base model without a head), the message built as tracePanel.ts builds it. Every step of
// every trace is drawn: its formula and shape, the verdict the step calls for (a check agreeing with
// the model — ✓, never ✗ —, a check the graph does not allow, a step not in the graph) and its tensor;
// → walks them in order; at 360 px in the light theme no step is wider than the view.
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import type { TraceResult, TraceStep } from '../../src/core/trace/types';
import { fixture } from '../skip';
import { fixtures, models } from '../unit/helpers/attentionReference';
import { useRuntime } from '../runtime/useRuntime';
import { panelSuite } from './harness';

type Reply = TraceResult & { cropped?: { width: number; height: number; rgb: Uint8Array } };
const image = join(fixtures, 'images', 'disc.png');

/** [model, block, head, token]: each kind of step list the view has to draw. */
const CASES: [string, number, number, number][] = [
  ['models/tiny_vit.onnx', 1, 1, 5],
  ['models/tiny_vit.onnx', 0, 0, 0], // the class token: no patch
  ['models/tiny_deit.onnx', 1, 0, 1], // the distillation token
  ['models/tiny_registers.onnx', 0, 0, 2], // a register
  ['models/tiny_hybrid_resnet.onnx', 0, 0, 6], // the backbone's feature-map cell
  ['models/tiny_vit_fused_attention.onnx', 0, 0, 5], // q … context not in the graph
  ['models/tiny_swin.onnx', 0, 1, 128], // unshifted
  ['models/tiny_swin.onnx', 1, 0, 5], // shifted, patch merging
  ['models/tiny_swin_v2.onnx', 1, 1, 255], // cosine attention, CPB, post-norms
  ['models/tiny_swin_fp16.onnx', 1, 0, 5], // half-precision tolerances
  ['models/tiny_vit_int8_dyn.onnx', 1, 0, 5], // quantized
  ['models/tiny_vit_ort_all.onnx', 0, 0, 5], // a check the graph does not allow (NCHWc weight)
  ['checkpoints/hf-vit-base', 1, 0, 5], // no classification head
];

/** The message tracePanel.ts posts for a trace reply. */
function message(r: Reply, model: string): Record<string, unknown> {
  const swin = r.family.startsWith('swin');
  const { cropped, ...doc } = r;
  return {
    type: 'trace', model: model.split('/').pop(), image: 'disc.png',
    layers: doc.ranges!.layers, heads: doc.ranges!.heads[doc.layer],
    grid: swin ? [doc.windowSize, doc.windowSize] : doc.grid, prefix: swin ? [] : doc.extraTokens ?? [],
    doc: JSON.parse(JSON.stringify(doc)) as TraceResult,
    pixels: cropped && { width: cropped.width, height: cropped.height, rgb: Uint8Array.from(cropped.rgb) },
    preprocessing: 'from the test',
  };
}

/** How many values the strip of a step shows (webview/trace/main.ts tensorOf), or null for a row drawn on the grid. */
function stripLength(r: TraceResult, s: TraceStep): number | null {
  const t = r.tensors;
  if (['scores', 'bias', 'mask', 'softmax'].includes(s.id)) return null;
  const own = r.family.startsWith('swin') ? r.position! : r.token;
  const byId: Record<string, number | undefined> = {
    position: t.embedding?.length, q: t.q.length || undefined, k: t.k[own]?.length, v: t.v[own]?.length,
    context: t.context.length || undefined, residual2: t.output.length || undefined, head: t.logits?.length,
  };
  const n = byId[s.id] ?? s.values?.length;
  return n === undefined ? 0 : Math.min(n, 4096);
}

describe('webview: step through real traces — every step drawn', function () {
  this.timeout(120_000);
  const client = useRuntime();
  const suite = panelSuite('trace', { height: 1200, width: 1000 });
  const traces = new Map<string, Reply>();
  const trace = async (c: [string, number, number, number]): Promise<Reply> => {
    const key = c.join(' ');
    if (!traces.has(key)) traces.set(key, await client.request('trace', { model: fixture(join(c[0].startsWith('models/') ? models : join(fixtures, 'checkpoints'), c[0].replace(/^(models|checkpoints)\//, ''))), image, layer: c[1], head: c[2], token: c[3], order: ['cpu'], withImage: true }) as Reply);
    return traces.get(key)!;
  };

  for (const c of CASES) {
    it(`${c[0]} block ${c[1]} head ${c[2]} token ${c[3]}`, async () => {
      const r = await trace(c);
      const p = suite.panel;
      await p.send(message(r, c[0]));
      assert.equal(await p.page.locator('#steps button').count(), r.steps.length);
      const seen = { check: 0, unavailable: 0, checkUnavailable: 0 };
      for (let i = 0; i < r.steps.length; i++) {
        const s = r.steps[i];
        const what = `${c[0]} step ${i} (${s.id})`;
        await p.page.click(`[data-step="${i}"]`);
        assert.equal(await p.page.getAttribute('#step', 'data-id'), s.id, what);
        assert.equal(await p.page.textContent('#formula'), s.formula, what);
        assert.equal(await p.page.textContent('#shape'), `Shape: [${s.shape.join(', ')}]`, what);
        const verdict = p.page.locator('#verdict');
        if (s.unavailable) {
          seen.unavailable++;
          assert.equal(await verdict.getAttribute('data-unavailable'), 'true', what);
          assert.equal(await verdict.textContent(), `Not shown on this graph: ${s.unavailable}`, what);
          assert.equal(await p.page.locator('.strip').count(), 0, `${what}: no tensor for a step not in the graph`);
          continue;
        }
        if (s.check) {
          seen.check++;
          // every real check agrees with the model (within what it states): the view never shows ✗
          assert.equal(await verdict.getAttribute('class'), 'ok', `${what}: ${await verdict.textContent()}`);
          assert.equal(Number(await verdict.getAttribute('data-maxdiff')), s.check.maxAbsDiff, what);
          assert.match((await verdict.textContent())!, /^✓ /, what);
          if (s.check.tolerance) assert.equal(Number(await p.page.getAttribute('#tolerance', 'data-tolerance')), s.check.tolerance, what);
        } else if (s.checkUnavailable) {
          seen.checkUnavailable++;
          assert.equal(await verdict.textContent(), `Not recomputed on this graph: ${s.checkUnavailable}`, what);
        } else assert.match((await verdict.textContent())!, /No recomputation at this step/, what);
        const n = stripLength(r, s);
        if (n === null) assert.equal(await p.page.locator(r.family.startsWith('swin') ? '#window' : '#patches').count(), 1, `${what}: the row on the grid`);
        else if (n > 0) assert.equal(await p.page.locator('.strip .cell').count(), n, `${what}: the strip`);
        if (s.id === 'probabilities') assert.equal(await p.page.locator('#top li').count(), r.top!.length, what);
      }
      assert.ok(seen.check >= 5, `${c[0]}: ${seen.check} checks drawn`);
      // → from the first step walks every step in order, without asking the host
      const before = (await p.posted()).length;
      await p.page.click('[data-step="0"]');
      const order: string[] = [];
      for (let i = 0; i < r.steps.length; i++) {
        order.push((await p.page.getAttribute('#step', 'data-id'))!);
        await p.page.keyboard.press('ArrowRight');
      }
      assert.deepEqual(order, r.steps.map((s) => s.id));
      assert.equal((await p.posted()).length, before);
      assert.deepEqual(await p.cspViolations(), []);
      assert.deepEqual(p.errors, []);
    });
  }

  describe('at 360 px, light theme', () => {
    const narrow = panelSuite('trace', { height: 1200, width: 360, theme: 'light' });
    for (const c of [CASES[0], CASES[7], CASES[8]]) {
      it(`${c[0]} block ${c[1]}: every step fits 360 px`, async () => {
        const r = await trace(c);
        const p = narrow.panel;
        await p.send(message(r, c[0]));
        for (let i = 0; i < r.steps.length; i++) {
          await p.page.click(`[data-step="${i}"]`);
          const wide = await p.page.evaluate(() => document.documentElement.scrollWidth);
          assert.ok(wide <= 360, `${r.steps[i].id}: page is ${wide} px wide`);
        }
        assert.deepEqual(p.errors, []);
      });
    }
  });
});
