/**
 * Load and faults on the inference process: 50 mixed requests at once (what several panels and the
 * CLI send: classify, attention, inspect, a folder), every one answered and equal to the same request
 * run alone; the process killed in the middle of a request: that request fails saying so, the next
 * ones work on a new process.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { Methods } from '../../src/runtime/rpc';
import { useRuntime } from './useRuntime';

const models = resolve('test/fixtures/models');
const images = ['checker.png', 'disc.png', 'gradient.png'].map((f) => resolve('test/fixtures/images', f));
const cli = resolve('dist/cli.js');

type Req = { [K in keyof Methods]: { method: K; params: Methods[K]['params'] } }[keyof Methods];

/** The mix: one request in five of each kind, over two models and three images. */
function mix(n: number): Req[] {
  const model = (name: string) => join(models, `${name}.onnx`);
  return Array.from({ length: n }, (_, i): Req => {
    const image = images[i % images.length];
    switch (i % 5) {
      case 0:
        return { method: 'classify', params: { model: model('tiny_vit'), images: [image], topK: 3, order: ['cpu'] } };
      case 1:
        return { method: 'attention', params: { model: model('tiny_swin'), image, order: ['cpu'] } };
      case 2:
        return { method: 'inspect', params: { model: model(i % 2 ? 'swin_t' : 'tiny_deit') } };
      case 3:
        return { method: 'classify', params: { model: model('tiny_swin'), images, topK: 5, order: ['cpu'] } }; // a folder
      default:
        return { method: 'attention', params: { model: model('tiny_vit'), image, order: ['cpu'] } };
    }
  });
}

/** A result without what may differ between two runs of the same request: timings and process ids. */
function stable(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stable);
  if (v && typeof v === 'object' && !ArrayBuffer.isView(v))
    return Object.fromEntries(Object.entries(v).filter(([k]) => !/(^|[a-z])(ms|Ms)$|^timings$|^pid$|^prepared$/.test(k)).map(([k, x]) => [k, stable(x)]));
  return v;
}

function cliClassify(image: string, model: string): Promise<{ results: { top: { index: number; prob: number }[]; logits: number[] }[] }> {
  return new Promise((res, rej) =>
    execFile(process.execPath, [cli, 'classify', image, '--model', model, '--top', '3', '--ep', 'cpu', '--json'], { encoding: 'utf8', timeout: 300_000 }, (e, out, err) => (e ? rej(new Error(`${e.message}\n${err}`)) : res(JSON.parse(out)))),
  );
}

describe('inference process under load', function () {
  this.timeout(900_000);
  const loaded = useRuntime();
  const alone = useRuntime();

  it('50 mixed requests at once (and two CLI runs beside them): every one answered, each equal to the same request run alone', async () => {
    const reqs = mix(50);
    const send = (c: typeof loaded, r: Req) => c.request(r.method, r.params as never) as Promise<unknown>;
    const [together, ...fromCli] = await Promise.all([Promise.all(reqs.map((r) => send(loaded, r))), cliClassify(images[0], join(models, 'tiny_vit.onnx')), cliClassify(images[1], join(models, 'tiny_vit.onnx'))]);
    assert.equal(together.length, 50);
    for (const [i, r] of reqs.entries()) {
      const one = await send(alone, r);
      assert.deepStrictEqual(stable(together[i]), stable(one), `request ${i} (${r.method}) differs from the same request run alone`);
    }
    // The CLI's own process gives what the shared process gave for the same image and model.
    for (const [k, out] of fromCli.entries()) {
      const same = together[k === 0 ? 0 : 10] as Methods['classify']['result'];
      const r = same.results[0];
      assert.ok(r.ok);
      assert.deepEqual(out.results[0].top.map((t) => t.index), r.top.map((t) => t.index));
      assert.deepEqual(out.results[0].logits, Array.from(r.logits));
    }
  });
});

describe('inference process killed in the middle of a request', function () {
  this.timeout(120_000);
  const client = useRuntime();

  it('the request in flight fails with a clear message; the one queued behind it and the next work, on a new process', async () => {
    const pid = (await client.request('ping', {})).pid;
    const inFlight = client.request('debugBlock', { ms: 30_000 }); // a run that blocks the process, as a slow model does
    const queued = client.request('classify', { model: join(models, 'tiny_vit.onnx'), images: [images[0]], topK: 1, order: ['cpu'] });
    await new Promise((r) => setTimeout(r, 500));
    process.kill(pid, 'SIGKILL');
    await assert.rejects(inFlight, (e: Error) => e.name === 'UserError' && /^The inference process stopped unexpectedly \(signal SIGKILL\) while running "debugBlock"\. It restarts on the next request/.test(e.message));
    const r = await queued;
    assert.ok(r.results[0].ok, r.results[0].ok ? '' : r.results[0].error);
    const next = await client.request('attention', { model: join(models, 'tiny_vit.onnx'), image: images[1], order: ['cpu'] });
    assert.equal(next.ep, 'cpu');
    assert.notEqual((await client.request('ping', {})).pid, pid, 'a new process');
  });
});
