// vit-inspect pull / models / --model hf:… against the stand-in Hub, with the real inference process.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { sha256, startProxy, startStandin, type Standin } from '../unit/hub/standin';

const run = promisify(execFile);
const cli = resolve('dist/cli.js');
const fixtures = resolve('test/fixtures');
const COMMIT = 'c'.repeat(40);
const onnx = readFileSync(join(fixtures, 'models', 'dynamic_vit.onnx'));
const names = ['tee', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'boot'];
const files = {
  'config.json': Buffer.from(JSON.stringify({ model_type: 'vit', architectures: ['ViTForImageClassification'], id2label: Object.fromEntries(names.map((n, i) => [i, n])) })),
  'preprocessor_config.json': Buffer.from(JSON.stringify({ size: { height: 32, width: 32 }, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5], resample: 2 })),
  'onnx/model.onnx': onnx,
  'onnx/model_quantized.onnx': onnx.subarray(0, 1000),
};

async function cliRun(args: string[], env: Record<string, string>, cwd = tmpdir()): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [cli, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, cwd });
    return { code: 0, ...r };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

describe('vit-inspect pull, models and hf: models', function () {
  this.timeout(120_000);
  let hub: Standin;
  before(async () => (hub = await startStandin([{ repo: 'Xenova/vit-tiny', commit: COMMIT, files }])));
  after(async () => hub?.close());

  it('pull --json gives the contract; models lists it; classify --model hf:… runs it with the config\'s labels; offline works from the cache', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'vit-cli-hub-'));
    const env = { HF_ENDPOINT: hub.endpoint, HF_HUB_CACHE: cache };
    const p = await cliRun(['pull', 'Xenova/vit-tiny', '--json'], env);
    assert.equal(p.code, 0, p.stderr);
    const j = JSON.parse(p.stdout);
    const snap = join(cache, 'models--Xenova--vit-tiny', 'snapshots', COMMIT);
    assert.deepEqual(j, {
      repo: 'Xenova/vit-tiny',
      revision: 'main',
      commit: COMMIT,
      path: snap,
      files: [
        { path: 'config.json', size: files['config.json'].length },
        { path: 'preprocessor_config.json', size: files['preprocessor_config.json'].length },
        { path: 'onnx/model.onnx', size: onnx.length, sha256: sha256(onnx) },
      ],
    });
    const m = await cliRun(['models', '--json'], { HF_HUB_CACHE: cache }, mkdtempSync(join(tmpdir(), 'vit-empty-')));
    assert.equal(m.code, 0, m.stderr);
    assert.deepEqual(JSON.parse(m.stdout).models, [{ id: 'hf:Xenova/vit-tiny', repo: 'Xenova/vit-tiny', revision: 'main', commit: COMMIT, path: join(snap, 'onnx', 'model.onnx'), format: 'onnx', variant: 'fp32', family: 'vit', bytes: onnx.length }]);
    const image = join(fixtures, 'preprocess', 'landscape.jpg');
    const c = await cliRun(['classify', image, '--model', 'hf:Xenova/vit-tiny', '--ep', 'cpu', '--json'], { HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '1' });
    assert.equal(c.code, 0, c.stderr);
    const r = JSON.parse(c.stdout);
    assert.equal(r.model, join(snap, 'onnx', 'model.onnx'));
    assert.equal(r.preprocessing.source, '../preprocessor_config.json');
    assert.ok(names.includes(r.results[0].top[0].label), r.results[0].top[0].label);
  });

  it('--model hf:… downloads what is missing; offline with nothing cached exits 2 naming HF_HUB_OFFLINE; a bad variant exits 2', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'vit-cli-hub-'));
    const off = await cliRun(['arch', 'hf:Xenova/vit-tiny', '--json'], { HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '1' });
    assert.equal(off.code, 2);
    assert.match(off.stderr, /not in the Hugging Face cache.*HF_HUB_OFFLINE/);
    const a = await cliRun(['arch', 'hf:Xenova/vit-tiny', '--json'], { HF_HUB_CACHE: cache, HF_ENDPOINT: hub.endpoint });
    assert.equal(a.code, 0, a.stderr);
    assert.deepEqual([JSON.parse(a.stdout).family, JSON.parse(a.stdout).config.patchSize], ['vit', 8]);
    const bad = await cliRun(['pull', 'Xenova/vit-tiny', '--variant', 'q4'], { HF_HUB_CACHE: cache, HF_ENDPOINT: hub.endpoint });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /no "q4" variant\. It offers: fp32, quantized/);
  });

  it('HTTPS_PROXY: an https:// Hub and its CDN reached only through the proxy\'s CONNECT tunnels (TLS checked against the stand-in\'s certificate)', async () => {
    const tls = { key: readFileSync(join(fixtures, 'tls', 'standin.key')), cert: readFileSync(join(fixtures, 'tls', 'standin.crt')) };
    const secure = await startStandin([{ repo: 'Xenova/vit-tiny', commit: COMMIT, files }], { tls, cdnHost: 'cdn.invalid' });
    const [hubPort, cdnPort] = [secure.endpoint, secure.cdn].map((u) => Number(new URL(u).port));
    const proxy = await startProxy({ 'hub.invalid': hubPort, 'cdn.invalid': cdnPort });
    try {
      const cache = mkdtempSync(join(tmpdir(), 'vit-cli-hub-'));
      const env = { HF_ENDPOINT: `https://hub.invalid:${hubPort}`, HF_HUB_CACHE: cache, HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: join(fixtures, 'tls', 'standin.crt') };
      const p = await cliRun(['pull', 'Xenova/vit-tiny', '--json'], env);
      assert.equal(p.code, 0, p.stderr);
      const j = JSON.parse(p.stdout);
      assert.equal(sha256(readFileSync(join(j.path, 'onnx', 'model.onnx'))), sha256(onnx));
      // Every connection was a tunnel through the proxy: to the Hub, then to the CDN the 302 named.
      assert.deepEqual([...new Set(proxy.log.map((l) => `${l.method} ${l.target}`))], [`CONNECT hub.invalid:${hubPort}`, `CONNECT cdn.invalid:${cdnPort}`]);
      assert.ok(secure.log.some((l) => l.server === 'cdn' && l.authorization === undefined));
      // Without the stand-in's certificate trusted: TLS is checked through the tunnel, and the message says how to trust a proxy's CA.
      const { NODE_EXTRA_CA_CERTS: _, ...untrusted } = env;
      const refused = await cliRun(['pull', 'Xenova/vit-tiny', '--json'], { ...untrusted, HF_HUB_CACHE: mkdtempSync(join(tmpdir(), 'vit-cli-hub-')) });
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(refused.stderr, /TLS certificate could not be verified \(self[- ]signed certificate\).*NODE_EXTRA_CA_CERTS/);
      // NO_PROXY naming the Hub: asked directly; the CDN the 302 names is not on the list, so it is still tunnelled.
      proxy.log.length = 0;
      const direct = await cliRun(['pull', 'Xenova/vit-tiny', '--json'], { ...env, HF_HUB_CACHE: mkdtempSync(join(tmpdir(), 'vit-cli-hub-')), NO_PROXY: '127.0.0.1', HF_ENDPOINT: secure.endpoint });
      assert.equal(direct.code, 0, direct.stderr);
      assert.deepEqual([...new Set(proxy.log.map((l) => `${l.method} ${l.target}`))], [`CONNECT cdn.invalid:${cdnPort}`]);
    } finally {
      await proxy.close();
      await secure.close();
    }
  });

  it('the cache Python\'s huggingface_hub wrote (test/fixtures/hf-cache): models lists it; classify runs both models with HF_HUB_OFFLINE=1, the checkpoint\'s logits equal to its own folder\'s', async () => {
    const cache = join(fixtures, 'hf-cache');
    const env = { HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '1' };
    const m = await cliRun(['models', '--json'], env, mkdtempSync(join(tmpdir(), 'vit-empty-')));
    assert.equal(m.code, 0, m.stderr);
    assert.deepEqual(JSON.parse(m.stdout).models.map((x: { id: string; format: string }) => `${x.id} ${x.format}`), ['hf:Xenova/vit-fixture onnx', 'hf:google/vit-fixture safetensors']);
    const image = join(fixtures, 'images', 'checker.png');
    const viaCache = await cliRun(['classify', image, '--model', 'hf:google/vit-fixture', '--ep', 'cpu', '--json'], env);
    assert.equal(viaCache.code, 0, viaCache.stderr);
    const direct = await cliRun(['classify', image, '--model', join(fixtures, 'checkpoints', 'hf-vit'), '--ep', 'cpu', '--json'], {});
    assert.equal(direct.code, 0, direct.stderr);
    const [a, b] = [JSON.parse(viaCache.stdout), JSON.parse(direct.stdout)];
    assert.equal(a.model, join(cache, 'models--google--vit-fixture', 'snapshots', '5afe7e05afe7e05afe7e05afe7e05afe7e05afe7', 'model.safetensors'));
    assert.deepEqual(a.results[0].logits, b.results[0].logits);
    assert.deepEqual(a.results[0].top.map((t: { label: string }) => t.label).sort(), ['goldfish', 'great white shark', 'hammerhead', 'tench', 'tiger shark']);
    const tjs = await cliRun(['classify', join(fixtures, 'preprocess', 'landscape.jpg'), '--model', 'hf:Xenova/vit-fixture', '--ep', 'cpu', '--json'], env);
    assert.equal(tjs.code, 0, tjs.stderr);
    const t = JSON.parse(tjs.stdout);
    assert.deepEqual([t.preprocessing.source, t.results[0].preprocessing.resized, t.results[0].preprocessing.crop], ['../preprocessor_config.json', [32, 32], null]);
    assert.ok(names.includes(t.results[0].top[0].label), t.results[0].top[0].label);
  });

  it('two vit-inspect pull processes of one repo at once: the blob lock keeps them apart, the weights are fetched once, both exit 0 with the same snapshot', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'vit-cli-hub-'));
    const env = { HF_ENDPOINT: hub.endpoint, HF_HUB_CACHE: cache };
    hub.log.length = 0;
    hub.faults.slowMs = 1000; // the weights take ≥ 2 s (3 chunks), so the second process reaches the lock while the first downloads
    try {
      const [a, b] = await Promise.all([cliRun(['pull', 'Xenova/vit-tiny', '--json'], env), cliRun(['pull', 'Xenova/vit-tiny', '--json'], env)]);
      assert.deepEqual([a.code, b.code], [0, 0], a.stderr + b.stderr);
      assert.equal(JSON.parse(a.stdout).path, JSON.parse(b.stdout).path);
    } finally {
      delete hub.faults.slowMs;
    }
    const cdn = hub.log.filter((l) => l.server === 'cdn');
    assert.equal(cdn.length, 1, JSON.stringify(cdn));
    // Both processes listed the repo while the one download was still streaming: the second waited on the lock, it did not find a finished file.
    const listed = hub.log.filter((l) => l.url.startsWith('/api/models/')).map((l) => l.at);
    assert.equal(listed.length, 2);
    assert.ok(Math.max(...listed) < cdn[0].at + 2000, `the second pull started ${Math.max(...listed) - cdn[0].at} ms after the download began`);
    assert.equal(sha256(readFileSync(join(cache, 'models--Xenova--vit-tiny', 'snapshots', COMMIT, 'onnx', 'model.onnx'))), sha256(onnx));
    assert.deepEqual(readdirSync(join(cache, '.locks', 'models--Xenova--vit-tiny')), [], 'no lock left behind');
    assert.deepEqual(readdirSync(join(cache, 'models--Xenova--vit-tiny', 'blobs')).filter((f) => f.endsWith('.incomplete')), []);
  });
});

