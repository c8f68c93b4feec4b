/**
 * Class-specific explanations through the inference process (runtime/explain.ts): occlusion against
 * PyTorch on the tiny ViT and Swin, RISE on a model whose class depends on one known region, the
 * seed, batching, progress with the map so far, and the bad input a user can give.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ExplainPartial } from '../../src/runtime/explain';
import { fixture } from '../skip';
import { cancelSignal, useRuntime } from './useRuntime';
import { argmax, maxAbs } from '../unit/helpers/maxAbs';

const fixtures = resolve('test/fixtures');
const model = (name: string) => fixture(resolve(fixtures, 'models', name));
const image = (rel: string) => fixture(resolve(fixtures, rel));

interface OcclusionCase { model: string; image: string; class: number | null; explained: number; window: number; stride: number; prob: number; grid: [number, number]; map: number[] }
interface Reference { occlusion: OcclusionCase[]; region: { model: string; image: string; rows: [number, number]; columns: [number, number]; class: number } }
const ref = (): Reference => JSON.parse(readFileSync(fixture(resolve(fixtures, 'reference', 'explain.json')), 'utf8'));

describe('explain: occlusion against PyTorch', function () {
  this.timeout(120_000);
  const client = useRuntime();
  for (const c of ref().occlusion) {
    const custom = c.class !== null || c.window % 8 !== 0 || c.model.includes('swin') ? `window ${c.window}, stride ${c.stride}` : 'default window';
    it(`${c.model} on ${c.image}, class ${c.explained}${c.class === null ? ' (top-1)' : ''}, ${custom}: the map within 1e-4`, async () => {
      // The defaults (8 px for the patch-8 ViT, ⌊32/7⌋ = 4 px for the 32² Swin) are asked for by leaving window/stride out.
      const isDefault = (c.model === 'tiny_vit.onnx' && c.window === 8 && c.stride === 8) || (c.model === 'tiny_swin.onnx' && c.window === 4 && c.stride === 4);
      const r = await client.request('explain', {
        model: model(c.model),
        image: image(c.image),
        method: 'occlusion',
        order: ['cpu'],
        class: c.class ?? undefined,
        window: isDefault ? undefined : c.window,
        stride: isDefault ? undefined : c.stride,
      });
      assert.deepEqual([r.class, r.window, r.stride, r.grid, r.runs], [c.explained, c.window, c.stride, c.grid, c.grid[0] * c.grid[1]]);
      assert.ok(Math.abs(r.prob - c.prob) < 1e-5, `p(class) ${r.prob} vs ${c.prob}`);
      const d = maxAbs(r.map, c.map);
      assert.ok(d <= 1e-4, `max |Δ| = ${d}`);
      assert.ok(Math.max(...c.map.map(Math.abs)) > 1e-3, 'the reference map is not flat (the check could not fail)');
      assert.equal(r.label, readFileSync(resolve(fixtures, 'models', 'labels.txt'), 'utf8').split('\n')[c.explained].trim());
    });
  }
});

describe('explain: RISE on a model whose class depends on one region only', function () {
  this.timeout(120_000);
  const client = useRuntime();
  const region = () => {
    const g = ref().region;
    return { ...g, model: model(g.model), image: image(g.image) };
  };
  const inRegion = (g: ReturnType<typeof region>, y: number, x: number) => y >= g.rows[0] && y < g.rows[1] && x >= g.columns[0] && x < g.columns[1];

  it('the map is largest inside that region, per input pixel (grid = the input H×W)', async () => {
    const g = region();
    const r = await client.request('explain', { model: g.model, image: g.image, method: 'rise', order: ['cpu'], masks: 400, seed: 3, class: g.class });
    assert.deepEqual([r.grid, r.runs, r.window, r.stride, r.label], [[32, 32], 400, null, null, 'region']);
    const k = argmax(r.map);
    assert.ok(inRegion(g, Math.floor(k / 32), k % 32), `maximum at (${Math.floor(k / 32)}, ${k % 32})`);
    // and the region as a whole stands out: its mean above every pixel far from it
    let inside = 0;
    let far = -Infinity;
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++) {
        if (inRegion(g, y, x)) inside += r.map[y * 32 + x] / 64;
        else if (y >= g.rows[1] + 6 || x < g.columns[0] - 6) far = Math.max(far, r.map[y * 32 + x]);
      }
    assert.ok(inside > far, `region mean ${inside} vs the largest far pixel ${far}`);
  });

  it('occlusion on the same model: only windows over the region change p(class)', async () => {
    const g = region();
    const r = await client.request('explain', { model: g.model, image: g.image, method: 'occlusion', order: ['cpu'], window: 4, stride: 4, class: g.class });
    assert.deepEqual(r.grid, [8, 8]);
    r.map.forEach((v, i) => {
      const [y, x] = [Math.floor(i / 8) * 4, (i % 8) * 4];
      if (inRegion(g, y, x)) assert.ok(v > 0.01, `window at (${y}, ${x}) over the region: ${v}`);
      else assert.ok(Math.abs(v) < 1e-6, `window at (${y}, ${x}) off the region: ${v}`);
    });
  });

  it('the same seed gives the same map; another seed another; batched runs equal one at a time', async () => {
    const g = region();
    const ask = (seed: number, batch?: number) => client.request('explain', { model: g.model, image: g.image, method: 'rise', order: ['cpu'], masks: 50, seed, batch });
    const [a, b, c, one] = [await ask(11), await ask(11), await ask(12), await ask(11, 1)];
    assert.deepEqual(Array.from(a.map), Array.from(b.map));
    assert.ok(maxAbs(a.map, c.map) > 1e-3);
    assert.ok(maxAbs(a.map, one.map) < 1e-6);
  });

  it('progress reports the runs done with the map so far (NaN where a window has not run yet)', async () => {
    const g = region();
    const seen: { message: string; data?: ExplainPartial }[] = [];
    const r = await client.request('explain', { model: g.model, image: g.image, method: 'occlusion', order: ['cpu'], window: 2, stride: 1, batch: 1 }, undefined, (message, data) => seen.push({ message, data: data as ExplainPartial | undefined }));
    assert.equal(r.runs, 31 * 31);
    assert.equal(seen.at(-1)?.message, `${31 * 31}/${31 * 31} runs`);
    const partial = seen.find((s) => s.data)?.data;
    assert.ok(partial, 'no progress message carried a map');
    assert.deepEqual(partial.grid, [31, 31]);
    assert.ok(partial.done < partial.total);
    assert.equal(partial.map.length, 31 * 31);
    assert.ok(Number.isNaN(partial.map[partial.map.length - 1]) && !Number.isNaN(partial.map[0]));
    assert.equal(partial.map[0], r.map[0]);
  });
});

describe('explain: bad input', function () {
  this.timeout(120_000);
  const client = useRuntime({ each: true });
  const tinyVit = () => ({ model: model('tiny_vit.onnx'), image: image('images/disc.png'), order: ['cpu'] });

  it('a class out of range names the valid range', async () => {
    await assert.rejects(client.request('explain', { ...tinyVit(), method: 'occlusion', class: 10 }), (e: Error) => e.name === 'UserError' && /from 0 to 9/.test(e.message) && /10 classes/.test(e.message));
  });

  it('an index out of range typed as the class (the panel\'s "by name or index" box) names the valid range', async () => {
    await assert.rejects(client.request('explain', { ...tinyVit(), method: 'occlusion', className: '12' }), (e: Error) => e.name === 'UserError' && /Class 12 is out of range/.test(e.message) && /indices 0 to 9/.test(e.message));
  });

  it('a class name the model does not have lists its classes', async () => {
    await assert.rejects(client.request('explain', { ...tinyVit(), method: 'rise', masks: 4, className: 'zebra' }), (e: Error) => e.name === 'UserError' && /"zebra"/.test(e.message) && /airplane, automobile/.test(e.message));
    const r = await client.request('explain', { ...tinyVit(), method: 'rise', masks: 4, className: 'Horse' });
    assert.deepEqual([r.class, r.label], [7, 'horse']);
  });

  it('a window larger than the input says the input size', async () => {
    await assert.rejects(client.request('explain', { ...tinyVit(), method: 'occlusion', window: 33 }), (e: Error) => e.name === 'UserError' && /from 1 to 32/.test(e.message));
  });

  it('a structure-only model says its weights are needed', async () => {
    await assert.rejects(client.request('explain', { model: model('vit_b_16.onnx'), image: image('images/disc.png'), order: ['cpu'], method: 'occlusion' }), (e: Error) => e.name === 'UserError' && /weights are missing/.test(e.message) && /cannot be run/.test(e.message));
  });

  it('cancelled mid-run: the request fails as Cancelled at once and the next one runs', async () => {
    const token = cancelSignal();
    let progressed = 0;
    const started = Date.now();
    const pending = client.request('explain', { ...tinyVit(), method: 'rise', masks: 100_000, batch: 1 }, token, () => {
      if (++progressed === 3) token.cancel();
    });
    await assert.rejects(pending, (e: Error) => e.name === 'UserError' && e.message === 'Cancelled.');
    assert.ok(progressed >= 3 && progressed < 100, `${progressed} progress messages`);
    assert.ok(Date.now() - started < 30_000);
    const r = await client.request('explain', { ...tinyVit(), method: 'occlusion' });
    assert.equal(r.runs, 16);
  });
});

describe('explain: DeiT (two heads) and a hybrid ViT, forward-only like any model', function () {
  this.timeout(120_000);
  const client = useRuntime();
  for (const [name, family] of [['tiny_deit.onnx', 'DeiT'], ['tiny_hybrid.onnx', 'hybrid']] as const)
    it(`${family}: occlusion at the patch size (8 px → 4×4) and RISE; p(class) is classify's top-1 probability`, async () => {
      const params = { model: model(name), image: image('images/disc.png'), order: ['cpu'] };
      const c = await client.request('classify', { model: params.model, images: [params.image], topK: 1, order: ['cpu'] });
      assert.ok(c.results[0].ok);
      const top = c.results[0].ok ? c.results[0].top[0] : undefined;
      const o = await client.request('explain', { ...params, method: 'occlusion' });
      assert.deepEqual([o.class, o.window, o.stride, o.grid, o.runs, o.map.length], [top!.index, 8, 8, [4, 4], 16, 16]);
      assert.ok(Math.abs(o.prob - top!.prob) < 1e-5, `p ${o.prob} vs classify ${top!.prob}`);
      assert.ok(o.map.every(Number.isFinite) && o.map.some((v) => v !== 0), 'a map with values');
      const r = await client.request('explain', { ...params, method: 'rise', masks: 64, seed: 3 });
      assert.deepEqual([r.class, r.grid, r.runs], [top!.index, [32, 32], 64]);
      assert.ok(r.map.every(Number.isFinite));
      assert.deepEqual((await client.request('explain', { ...params, method: 'rise', masks: 64, seed: 3 })).map, r.map, 'the same seed, the same map');
    });
});

describe('vit-inspect explain (dist/cli.js)', function () {
  this.timeout(120_000);
  const cli = (...args: string[]) => spawnSync(process.execPath, [resolve('dist/cli.js'), 'explain', ...args], { encoding: 'utf8', timeout: 100_000 });

  it('--json prints the contract\'s document; --class takes a label too', () => {
    const r = cli(image('images/disc.png'), '--model', model('tiny_vit.onnx'), '--method', 'occlusion', '--class', 'Horse', '--ep', 'cpu', '--json');
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual([doc.method, doc.class, doc.label, doc.grid, doc.window, doc.stride, doc.runs, doc.map.length], ['occlusion', 7, 'horse', [4, 4], 8, 8, 16, 16]);
    assert.equal(typeof doc.ms, 'number');
  });

  it('bad input exits 2 with the reason on stderr', () => {
    const r = cli(image('images/disc.png'), '--model', model('tiny_vit.onnx'), '--class', '12', '--ep', 'cpu');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /from 0 to 9/);
    const w = cli(image('images/disc.png'), '--model', model('tiny_vit.onnx'), '--method', 'rise', '--window', '8');
    assert.equal(w.status, 2);
    assert.match(w.stderr, /--window and --stride apply to --method occlusion/);
  });
});
