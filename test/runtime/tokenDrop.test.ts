/**
 * Token dropping (runtime/tokenDrop.ts, --method drop): the map against PyTorch on the timm-style
 * ViT exported with a dynamic sequence length (the patch token removed from the position-embedded
 * sequence, tools/make_explain_fixtures.py), and the graphs that do not allow it refused in the
 * user's terms: a fixed-length export, Swin, hybrid.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fixture } from '../skip';
import { useRuntime } from './useRuntime';

const fixtures = resolve('test/fixtures');
const model = (name: string) => fixture(resolve(fixtures, 'models', name));
const image = (rel: string) => fixture(resolve(fixtures, rel));
interface DropCase { model: string; image: string; class: number | null; explained: number; prob: number; grid: [number, number]; patch: number; map: number[] }
const cases = (): DropCase[] => JSON.parse(readFileSync(fixture(resolve(fixtures, 'reference', 'explain.json')), 'utf8')).drop;

describe('explain: token dropping against PyTorch', function () {
  this.timeout(120_000);
  const client = useRuntime();
  // dynamic_vit beside the reference's preprocessing (ImageNet mean/std, 32² as is, no crop margin).
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'vit-drop-'));
    copyFileSync(model('dynamic_vit.onnx'), join(dir, 'dynamic_vit.onnx'));
    copyFileSync(resolve(fixtures, 'models', 'labels.txt'), join(dir, 'labels.txt'));
    writeFileSync(join(dir, 'dynamic_vit.json'), JSON.stringify({ imageSize: 32, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resize: 32, crop: 32, interpolation: 'bilinear' }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('has reference cases', () => assert.ok(cases().length >= 2));
  for (const [i, c] of cases().entries()) {
    it(`case ${i + 1}: ${c.image}, class ${c.explained}: one value per patch token, within 1e-4 (batched and one at a time)`, async () => {
      for (const batch of [undefined, 1]) {
        const r = await client.request('explain', { model: join(dir, 'dynamic_vit.onnx'), image: image(c.image), method: 'drop', order: ['cpu'], class: c.class ?? undefined, batch });
        assert.deepEqual([r.method, r.class, r.grid, r.window, r.stride, r.runs], ['drop', c.explained, c.grid, c.patch, c.patch, c.grid[0] * c.grid[1]]);
        assert.ok(Math.abs(r.prob - c.prob) < 1e-5, `p(class) ${r.prob} vs ${c.prob}`);
        let d = 0;
        c.map.forEach((v, k) => (d = Math.max(d, Math.abs(v - r.map[k]))));
        assert.ok(d <= 1e-4, `max |Δ| = ${d}`);
        assert.ok(Math.max(...c.map.map(Math.abs)) > 1e-3, 'the reference map is not flat (the check could not fail)');
      }
    });
  }

  it('a fixed-length export (tiny_vit: reshapes of 17 tokens) is refused, never a wrong map', async () => {
    await assert.rejects(client.request('explain', { model: model('tiny_vit.onnx'), image: image('images/disc.png'), method: 'drop', order: ['cpu'] }), {
      name: 'UserError',
      message: /fixes its sequence length at 17 tokens.*use occlusion/,
    });
  });

  it('Swin and hybrid say why and point to occlusion', async () => {
    await assert.rejects(client.request('explain', { model: model('tiny_swin.onnx'), image: image('images/disc.png'), method: 'drop', order: ['cpu'] }), { name: 'UserError', message: /Swin model.*Use occlusion/ });
    await assert.rejects(client.request('explain', { model: model('tiny_hybrid.onnx'), image: image('images/disc.png'), method: 'drop', order: ['cpu'] }), { name: 'UserError', message: /hybrid ViT.*Use occlusion/ });
  });

  it('vit-inspect explain --method drop --json; --window with drop exits 2', () => {
    const cli = (...a: string[]) => spawnSync(process.execPath, [resolve('dist/cli.js'), 'explain', image('images/disc.png'), ...a], { encoding: 'utf8', timeout: 100_000 });
    const r = cli('--model', join(dir, 'dynamic_vit.onnx'), '--method', 'drop', '--ep', 'cpu', '--json');
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    const c = cases()[0];
    assert.deepEqual([doc.method, doc.class, doc.grid, doc.runs], ['drop', c.explained, c.grid, 16]);
    assert.ok(Math.max(...doc.map.map((v: number, k: number) => Math.abs(v - c.map[k]))) <= 1e-4);
    const w = cli('--model', join(dir, 'dynamic_vit.onnx'), '--method', 'drop', '--window', '8');
    assert.equal(w.status, 2);
    assert.match(w.stderr, /takes no --window/);
  });
});
