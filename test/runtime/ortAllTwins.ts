/**
 * Twins of the committed *_ort_all fixtures optimised on this machine. A model optimised at level
 * "all" holds NCHWc layout ops whose block size is the optimising CPU's (16 with AVX-512, 8 with
 * AVX2): ONNX Runtime documents such files as tied to that hardware, and the committed twins give
 * other answers than their fp32 model on an AVX2-only CPU (tiny_vit_ort_all: ship 56.6% instead of
 * 51.4%). Tests that compare a run with the plain model use a twin optimised here, the way the
 * committed one was made (tools/make_quant_fixtures.py); the committed files keep serving the tests
 * that do not depend on the CPU (structure, and the step-through's own checks in traceSweep).
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const models = resolve('test/fixtures/models');

/** Registers before/after hooks; `path(name)` is the twin's path for a name ending in _ort_all, else the committed fixture's. */
export function useOrtAllTwins(twins: string[] = ['tiny_vit', 'tiny_swin']): { path: (name: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'vit-ort-all-'));
  before(async () => {
    const ort = await import('onnxruntime-node');
    for (const twin of twins) {
      const s = await ort.InferenceSession.create(join(models, `${twin}.onnx`), {
        graphOptimizationLevel: 'all',
        optimizedModelFilePath: join(dir, `${twin}_ort_all.onnx`),
        executionProviders: ['cpu'],
      });
      await s.release();
      // The committed twin's sidecar (preprocessing, labels) goes beside it, as a user's would.
      copyFileSync(join(models, `${twin}_ort_all.json`), join(dir, `${twin}_ort_all.json`));
      if (existsSync(join(models, 'labels.txt'))) copyFileSync(join(models, 'labels.txt'), join(dir, 'labels.txt'));
      assert.ok(existsSync(join(dir, `${twin}_ort_all.onnx`)), `ONNX Runtime wrote no optimised ${twin}`);
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  return { path: (name: string) => (/_ort_all(\.onnx)?$/.test(name) ? join(dir, name.endsWith('.onnx') ? name : `${name}.onnx`) : join(models, name.endsWith('.onnx') ? name : `${name}.onnx`)) };
}
