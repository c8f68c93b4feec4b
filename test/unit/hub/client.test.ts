// The download client against the local stand-in Hub: the cache layout huggingface_hub makes,
// only the needed files, the token kept from the CDN, resume, checksum, every fault's message.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheRoot, parseRepoRef } from '../../../src/core/hub/cache';
import { listForDownload, pull, type HubOptions } from '../../../src/core/hub/client';
import { resolveModelSpec } from '../../../src/core/hub/resolve';
import { scanCache } from '../../../src/core/hub/scan';
import { gitSha1, sha256, startStandin, type Standin } from './standin';

const COMMIT = 'a'.repeat(8) + '0123456789abcdef0123456789abcdef';
const OLD = 'b'.repeat(40);
const config = Buffer.from(JSON.stringify({ model_type: 'vit', architectures: ['ViTForImageClassification'], id2label: { 0: 'cat', 1: 'dog' } }));
const pre = Buffer.from(JSON.stringify({ size: { height: 32, width: 32 }, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5] }));
const fp32 = randomBytes(600_000);
const fp16 = randomBytes(300_000);
const files = { 'config.json': config, 'preprocessor_config.json': pre, 'onnx/model.onnx': fp32, 'onnx/model_fp16.onnx': fp16, 'README.md': Buffer.from('# big repo') };

/** Everything under a cache folder: files with their size, symlinks with their target, as huggingface_hub leaves it. */
function tree(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const rel = prefix + name;
    const st = lstatSync(p);
    if (st.isSymbolicLink()) out.push(`${rel} -> ${readlinkSync(p)}`);
    else if (st.isDirectory()) out.push(...tree(p, rel + '/'));
    else out.push(`${rel} (${st.size})`);
  }
  return out;
}

const rejects = async (p: Promise<unknown>, re: RegExp): Promise<void> => {
  await assert.rejects(p, (e: Error) => {
    assert.equal(e.name, 'UserError', e.stack);
    assert.match(e.message, re);
    return true;
  });
};

describe('Hub client against the stand-in Hub', function () {
  this.timeout(60_000);
  let hub: Standin;
  let cache: string;
  let opts: HubOptions;
  before(async () => (hub = await startStandin([{ repo: 'acme/vit-tiny', commit: COMMIT, refs: { v1: OLD }, files }, { repo: 'acme/vit-old', commit: OLD, files }])));
  after(async () => hub?.close());
  beforeEach(() => {
    cache = mkdtempSync(join(tmpdir(), 'vit-hub-'));
    opts = { cacheDir: cache, endpoint: hub.endpoint, env: {}, retries: 3 };
    hub.log.length = 0;
    for (const k of Object.keys(hub.faults)) delete (hub.faults as Record<string, unknown>)[k];
  });

  it('pulls configs + fp32 weights only, into huggingface_hub\'s layout: blobs by etag, relative symlinks, refs/main', async () => {
    const r = await pull('acme/vit-tiny', opts);
    const repo = join(cache, 'models--acme--vit-tiny');
    assert.deepEqual([r.commit, r.path, r.weights, r.format, r.variant], [COMMIT, join(repo, 'snapshots', COMMIT), join(repo, 'snapshots', COMMIT, 'onnx', 'model.onnx'), 'onnx', 'fp32']);
    assert.deepEqual(r.files.map((f) => [f.path, f.size, f.sha256]), [['config.json', config.length, undefined], ['preprocessor_config.json', pre.length, undefined], ['onnx/model.onnx', fp32.length, sha256(fp32)]]);
    assert.deepEqual(tree(repo), [
      `blobs/${gitSha1(config)} (${config.length})`,
      `blobs/${gitSha1(pre)} (${pre.length})`,
      `blobs/${sha256(fp32)} (${fp32.length})`,
      'refs/main (40)',
      `snapshots/${COMMIT}/config.json -> ../../blobs/${gitSha1(config)}`,
      `snapshots/${COMMIT}/onnx/model.onnx -> ../../../blobs/${sha256(fp32)}`,
      `snapshots/${COMMIT}/preprocessor_config.json -> ../../blobs/${gitSha1(pre)}`,
    ].sort());
    assert.equal(readFileSync(join(repo, 'refs', 'main'), 'utf8'), COMMIT);
    assert.deepEqual(readFileSync(r.weights), fp32);
    // Never the whole repo: the fp16 file and the README were not asked for.
    assert.ok(!hub.log.some((l) => /model_fp16|README/.test(l.url)), JSON.stringify(hub.log));
    // A second pull downloads nothing.
    hub.log.length = 0;
    await pull('acme/vit-tiny', opts);
    assert.deepEqual(hub.log.filter((l) => l.server === 'cdn'), []);
  });

  it('--variant fp16 fetches onnx/model_fp16.onnx; an unknown variant lists those offered; @tag writes refs/{tag}', async () => {
    const r = await pull('acme/vit-tiny@v1', { ...opts, variant: 'fp16' });
    assert.deepEqual([r.commit, r.revision, r.variant, readFileSync(r.weights).equals(fp16)], [OLD, 'v1', 'fp16', true]);
    assert.equal(readFileSync(join(cache, 'models--acme--vit-tiny', 'refs', 'v1'), 'utf8'), OLD);
    await rejects(pull('acme/vit-tiny', { ...opts, variant: 'q4' }), /no "q4" variant\. It offers: fp32, fp16\./);
    // A 40-hex revision is a commit: no ref is written for it.
    const c = await pull(`acme/vit-old@${OLD}`, opts);
    assert.equal(existsSync(join(cache, 'models--acme--vit-old', 'refs')), false);
    assert.equal(c.commit, OLD);
  });

  it('sends the token to the Hub, never to the CDN it is redirected to; a token from $HF_HOME/token works too', async () => {
    hub.faults.token = 'hf_secret';
    await pull('acme/vit-tiny', { ...opts, env: { HF_TOKEN: 'hf_secret' } });
    const cdn = hub.log.filter((l) => l.server === 'cdn');
    assert.ok(cdn.length > 0);
    assert.deepEqual(cdn.map((l) => l.authorization), cdn.map(() => undefined));
    assert.ok(hub.log.filter((l) => l.server === 'hub').every((l) => l.authorization === 'Bearer hf_secret'));
    const home = mkdtempSync(join(tmpdir(), 'vit-hfhome-'));
    writeFileSync(join(home, 'token'), 'hf_secret\n');
    const c2 = mkdtempSync(join(tmpdir(), 'vit-hub-'));
    const r = await pull('acme/vit-tiny', { ...opts, cacheDir: c2, env: { HF_HOME: home } });
    assert.ok(existsSync(r.weights));
  });

  it('the token kept by "Set Access Token" (SecretStorage) goes to the API and the resolve route, not to the CDN; HF_TOKEN, then the token file, win over it', async () => {
    hub.faults.token = 'hf_secret';
    await pull('acme/vit-tiny', { ...opts, storedToken: 'hf_secret' });
    const byRoute = (re: RegExp): (string | undefined)[] => [...new Set(hub.log.filter((l) => re.test(l.url)).map((l) => l.authorization))];
    assert.deepEqual(byRoute(/^\/api\/models\//), ['Bearer hf_secret']);
    assert.deepEqual(byRoute(/\/resolve\//), ['Bearer hf_secret']);
    assert.ok(hub.log.some((l) => l.server === 'cdn'));
    assert.deepEqual(hub.log.filter((l) => l.server === 'cdn').map((l) => l.authorization ?? null), hub.log.filter((l) => l.server === 'cdn').map(() => null));
    // huggingface_hub's order first: $HF_TOKEN, then $HF_HOME/token; the message names the one that was refused.
    const fresh = (): HubOptions => ({ ...opts, cacheDir: mkdtempSync(join(tmpdir(), 'vit-hub-')) });
    await rejects(pull('acme/vit-tiny', { ...fresh(), env: { HF_TOKEN: 'hf_old' }, storedToken: 'hf_secret' }), /refused the access token for acme\/vit-tiny \(401; the token from HF_TOKEN\)/);
    const home = mkdtempSync(join(tmpdir(), 'vit-hfhome-'));
    writeFileSync(join(home, 'token'), 'hf_old\n');
    await rejects(pull('acme/vit-tiny', { ...fresh(), env: { HF_HOME: home }, storedToken: 'hf_secret' }), new RegExp(`\\(401; the token from ${join(home, 'token').replace(/[/.]/g, '\\$&')}\\)`));
    writeFileSync(join(home, 'token'), 'hf_secret\n');
    assert.ok(existsSync((await pull('acme/vit-tiny', { ...fresh(), env: { HF_HOME: home, HF_TOKEN: ' ' }, storedToken: 'hf_old' })).weights));
    await rejects(pull('acme/vit-tiny', { ...fresh(), storedToken: 'hf_old' }), /\(401; the token from the token saved by "Hugging Face: Set Access Token"\)/);
    // $HF_TOKEN_PATH moves the token file, as in huggingface_hub.
    const elsewhere = join(mkdtempSync(join(tmpdir(), 'vit-tok-')), 'hf-token');
    writeFileSync(elsewhere, 'hf_secret');
    assert.ok(existsSync((await pull('acme/vit-tiny', { ...fresh(), env: { HF_HOME: mkdtempSync(join(tmpdir(), 'vit-hfhome-')), HF_TOKEN_PATH: elsewhere } })).weights));
  });

  it('a connection dropped mid-file is resumed with a Range request and the file checks out', async () => {
    hub.faults.drop = { path: 'onnx/model.onnx', after: 200_000, times: 2 };
    const seen: number[] = [];
    const r = await pull('acme/vit-tiny', { ...opts, onProgress: (p) => seen.push(p.bytes) });
    assert.ok(readFileSync(r.weights).equals(fp32));
    const ranges = hub.log.filter((l) => l.server === 'cdn').map((l) => l.range);
    assert.deepEqual(ranges, [undefined, 'bytes=200000-', 'bytes=400000-']);
    assert.equal(seen[seen.length - 1], config.length + pre.length + fp32.length);
  });

  it('a wrong checksum: the file is deleted, nothing enters the snapshot, the message says so', async () => {
    hub.faults.corrupt = 'onnx/model.onnx';
    await rejects(pull('acme/vit-tiny', opts), /onnx\/model\.onnx of acme\/vit-tiny failed its checksum.*X-Linked-Etag.*deleted and nothing entered the snapshot/);
    const repo = join(cache, 'models--acme--vit-tiny');
    assert.ok(!existsSync(join(repo, 'snapshots', COMMIT)), 'nothing in the snapshot, not even the configs');
    assert.deepEqual(readdirSync(join(repo, 'blobs')).filter((f) => f.startsWith(sha256(fp32))), []);
    assert.equal(existsSync(join(repo, 'refs', 'main')), false);
  });

  it('HTTP faults: 401 says how to set a token, 403, 429 says when to retry, 5xx, unknown repo/revision', async () => {
    hub.faults.token = 'hf_secret';
    await rejects(pull('acme/vit-tiny', opts), /needs an access token \(401.*HF_TOKEN.*huggingface-cli login.*Set Access Token/);
    await rejects(pull('acme/vit-tiny', { ...opts, token: 'wrong' }), /refused the access token.*invalid or expired/);
    delete hub.faults.token;
    hub.faults.status = { code: 403 };
    await rejects(pull('acme/vit-tiny', opts), /forbidden \(403\).*gated/);
    hub.faults.status = { code: 429, headers: { 'retry-after': '30' } };
    await rejects(pull('acme/vit-tiny', opts), /rate-limiting.*\(429\)\. Try again in 30 s \(after \d\d:\d\d:\d\d UTC\)/);
    hub.faults.status = { code: 503 };
    await rejects(pull('acme/vit-tiny', opts), /failed \(503\).*try again later/);
    delete hub.faults.status;
    await rejects(pull('acme/nope', opts), /The repo acme\/nope was not found on http:\/\/127\.0\.0\.1:\d+\. Check the id/);
    await rejects(pull('acme/vit-tiny@v9', opts), /no such revision: v9/);
    await rejects(pull('not a repo', opts), /not a Hugging Face model id/);
    assert.equal(existsSync(join(cache, 'models--acme--vit-tiny', 'snapshots')), false);
  });

  it('faults on the CDN after the 302: 429 says when to retry, 403 (an expired signed link) says try again, a 503 is retried and then named; none enters the snapshot', async () => {
    const snap = join(cache, 'models--acme--vit-tiny', 'snapshots', COMMIT);
    hub.faults.cdnStatus = { code: 429, headers: { 'retry-after': '120' }, times: 1 };
    await rejects(pull('acme/vit-tiny', opts), /download server 127\.0\.0\.1:\d+ is rate-limiting \(429\)\. Try again in 120 s \(after \d\d:\d\d:\d\d UTC\)/);
    hub.faults.cdnStatus = { code: 403, times: 1 };
    await rejects(pull('acme/vit-tiny', opts), /refused the file \(403\): its signed link expired or was refused\. Try again/);
    hub.faults.cdnStatus = { code: 503, times: 10 };
    await rejects(pull('acme/vit-tiny', { ...opts, retries: 2 }), /download of onnx\/model\.onnx kept failing \(3 attempts; last: the download server answered 503\)/);
    assert.ok(!existsSync(snap));
    // A 503 that passes is retried without the user seeing it.
    hub.faults.cdnStatus = { code: 503, times: 1 };
    assert.ok(readFileSync((await pull('acme/vit-tiny', opts)).weights).equals(fp32));
  });

  it('offline: HF_HUB_OFFLINE=1 answers from the cache only; nothing cached names HF_HUB_OFFLINE; an unreachable Hub names the network', async () => {
    await rejects(pull('acme/vit-tiny', { ...opts, env: { HF_HUB_OFFLINE: '1' } }), /not in the Hugging Face cache.*HF_HUB_OFFLINE/);
    assert.deepEqual(hub.log, []);
    const down = { ...opts, endpoint: 'http://127.0.0.1:9' };
    await rejects(pull('acme/vit-tiny', down), /Cannot reach the Hub at http:\/\/127\.0\.0\.1:9 .*not in the Hugging Face cache\. Check the network.*HF_HUB_OFFLINE=1/);
    const first = await pull('acme/vit-tiny', opts);
    hub.log.length = 0;
    const off = await pull('acme/vit-tiny', { ...opts, env: { HF_HUB_OFFLINE: '1' } });
    assert.deepEqual([off.commit, off.weights], [first.commit, first.weights]);
    assert.deepEqual(hub.log, []);
    const fallback = await pull('acme/vit-tiny', down);
    assert.match(fallback.warning ?? '', /Using the cached snapshot/);
  });

  it('the listing for Download Model…: HF_HUB_OFFLINE=1 asks nothing and says so; an unreachable Hub names the network, as UserErrors', async () => {
    await rejects(listForDownload(parseRepoRef('acme/vit-tiny'), { ...opts, env: { HF_HUB_OFFLINE: '1' } }), /HF_HUB_OFFLINE is set, so nothing is downloaded/);
    assert.deepEqual(hub.log, []);
    await rejects(listForDownload(parseRepoRef('acme/vit-tiny'), { ...opts, endpoint: 'http://127.0.0.1:9' }), /Cannot reach the Hub at http:\/\/127\.0\.0\.1:9 .*Check the network or HF_ENDPOINT/);
    assert.equal((await listForDownload(parseRepoRef('acme/vit-tiny'), opts)).commit, COMMIT);
  });

  it('cancel: an AbortSignal stops the download, nothing half-written in the snapshot; the next pull resumes', async () => {
    hub.faults.slowMs = 40;
    const ac = new AbortController();
    const p = pull('acme/vit-tiny', { ...opts, signal: ac.signal, onProgress: (x) => x.file === 'onnx/model.onnx' && x.bytes > config.length + pre.length + 100_000 && ac.abort() });
    await rejects(p, /Download cancelled\. Nothing was added to the snapshot/);
    const snap = join(cache, 'models--acme--vit-tiny', 'snapshots', COMMIT);
    assert.ok(!existsSync(snap), 'nothing in the snapshot, not even the configs fetched before the weights');
    const part = join(cache, 'models--acme--vit-tiny', 'blobs', `${sha256(fp32)}.incomplete`);
    assert.ok(existsSync(part) && lstatSync(part).size < fp32.length);
    delete hub.faults.slowMs;
    hub.log.length = 0;
    const r = await pull('acme/vit-tiny', opts);
    assert.ok(readFileSync(r.weights).equals(fp32));
    assert.match(hub.log.find((l) => l.server === 'cdn')?.range ?? '', /^bytes=[1-9]\d*-$/);
    assert.ok(!existsSync(part));
  });

  it('disk full: the partial file is removed and the message says where the space is needed', async function () {
    if (!existsSync('/dev/full')) throw new Error('/dev/full is needed to simulate a full disk');
    const blobs = join(cache, 'models--acme--vit-tiny', 'blobs');
    mkdirSync(blobs, { recursive: true });
    const part = join(blobs, `${sha256(fp32)}.incomplete`);
    symlinkSync('/dev/full', part); // every write to it fails with ENOSPC, as on a full disk
    await rejects(pull('acme/vit-tiny', opts), /disk is full: onnx\/model\.onnx \(600,000 bytes\) does not fit in .*partial file was removed/);
    assert.ok(!existsSync(part) && !lstatSync(blobs).isFile());
    assert.ok(!existsSync(join(cache, 'models--acme--vit-tiny', 'snapshots', COMMIT, 'onnx')));
  });

  it('an empty .lock left by Python\'s filelock, or one of a dead process, does not block a pull', async () => {
    const locks = join(cache, '.locks', 'models--acme--vit-tiny');
    mkdirSync(locks, { recursive: true });
    writeFileSync(join(locks, `${sha256(fp32)}.lock`), '');
    writeFileSync(join(locks, `${gitSha1(config)}.lock`), '999999999');
    const r = await pull('acme/vit-tiny', opts);
    assert.ok(readFileSync(r.weights).equals(fp32));
  });

  it('two pulls of one repo at once share the lock: each blob is downloaded once and both succeed', async () => {
    const [a, b] = await Promise.all([pull('acme/vit-tiny', opts), pull('acme/vit-tiny', opts)]);
    assert.equal(a.weights, b.weights);
    assert.equal(hub.log.filter((l) => l.server === 'cdn').length, 1);
    assert.deepEqual(readdirSync(join(cache, '.locks', 'models--acme--vit-tiny')), []);
  });
});

describe('the Hub cache Python\'s huggingface_hub made', () => {
  // Laid out as huggingface_hub 0.2x leaves it after hf_hub_download(): blobs named by etag,
  // snapshot entries relative symlinks into ../../blobs, refs/main holding the commit.
  function pythonCache(): string {
    const root = mkdtempSync(join(tmpdir(), 'vit-pycache-'));
    const repo = join(root, 'models--google--vit-base-patch16-224');
    mkdirSync(join(repo, 'blobs'), { recursive: true });
    mkdirSync(join(repo, 'refs'));
    mkdirSync(join(repo, 'snapshots', COMMIT), { recursive: true });
    writeFileSync(join(repo, 'refs', 'main'), COMMIT);
    for (const [p, b] of [['config.json', config], ['model.safetensors', fp16]] as const) {
      const etag = p.endsWith('.json') ? gitSha1(b) : sha256(b);
      writeFileSync(join(repo, 'blobs', etag), b);
      symlinkSync(`../../blobs/${etag}`, join(repo, 'snapshots', COMMIT, p));
    }
    mkdirSync(join(root, '.locks', 'models--google--vit-base-patch16-224'), { recursive: true });
    return root;
  }

  it('hf:google/vit-base-patch16-224 resolves through refs/main to the snapshot, also @commit, found from $HF_HOME', async () => {
    const root = pythonCache();
    const home = mkdtempSync(join(tmpdir(), 'vit-home-'));
    const { renameSync } = await import('node:fs');
    renameSync(root, join(home, 'hub'));
    const env = { HF_HOME: home };
    assert.equal(cacheRoot(undefined, env), join(home, 'hub'));
    const r = await resolveModelSpec('hf:google/vit-base-patch16-224', { env });
    assert.equal(r.path, join(home, 'hub', 'models--google--vit-base-patch16-224', 'snapshots', COMMIT, 'model.safetensors'));
    assert.ok(readFileSync(r.path).equals(fp16));
    assert.equal(r.hub?.commit, COMMIT);
    const byCommit = await resolveModelSpec(`hf:google/vit-base-patch16-224@${COMMIT}`, { env: { HF_HUB_CACHE: join(home, 'hub') } });
    assert.equal(byCommit.path, r.path);
    await rejects(resolveModelSpec('hf:google/vit-base-patch16-224@v2', { env }), /not in the Hugging Face cache.*vit-inspect pull google\/vit-base-patch16-224@v2/);
  });

  it('what we download sits beside it exactly as Python lays it out (same kinds of entries, same relative link form)', async () => {
    const hub = await startStandin([{ repo: 'google/vit-base-patch16-224', commit: COMMIT, files: { 'config.json': config, 'model.safetensors': fp16 } }]);
    try {
      const py = pythonCache();
      const ours = mkdtempSync(join(tmpdir(), 'vit-ours-'));
      await pull('google/vit-base-patch16-224', { cacheDir: ours, endpoint: hub.endpoint, env: {} });
      assert.deepEqual(tree(ours), tree(py));
      // …and a pull into Python's cache finds everything there: nothing downloaded.
      hub.log.length = 0;
      const r = await pull('google/vit-base-patch16-224', { cacheDir: py, endpoint: hub.endpoint, env: {} });
      assert.equal(r.format, 'safetensors');
      assert.deepEqual(hub.log.filter((l) => l.server === 'cdn'), []);
    } finally {
      await hub.close();
    }
  });

  it('the cache folder in huggingface_hub\'s order: the setting, $HF_HUB_CACHE, $HF_HOME/hub, $XDG_CACHE_HOME/huggingface/hub, ~/.cache/huggingface/hub', () => {
    const env = { HF_HUB_CACHE: '/a/hub', HF_HOME: '/b', XDG_CACHE_HOME: '/c' };
    assert.equal(cacheRoot('/setting', env), '/setting');
    assert.equal(cacheRoot('  ', env), '/a/hub');
    assert.equal(cacheRoot(undefined, { HF_HOME: '/b', XDG_CACHE_HOME: '/c' }), join('/b', 'hub'));
    assert.equal(cacheRoot(undefined, { XDG_CACHE_HOME: '/c' }), join('/c', 'huggingface', 'hub'));
    assert.equal(cacheRoot(undefined, {}), join(homedir(), '.cache', 'huggingface', 'hub'));
    assert.equal(cacheRoot('~/models', {}), join(homedir(), 'models'));
  });

  it('parses repo ids as the Hub writes them', () => {
    assert.deepEqual(parseRepoRef('hf:Xenova/vit-base-patch16-224@refs/pr/1'), { repo: 'Xenova/vit-base-patch16-224', revision: 'refs/pr/1' });
    assert.throws(() => parseRepoRef('hf:../../etc'), /not a Hugging Face model id/);
  });
});

describe('a cache where symlinks cannot be made (Windows without developer mode, FAT, some network drives)', function () {
  this.timeout(60_000);
  // fs as the compiled modules see it: symlink() failing with EPERM, as Windows fails it.
  const realFs = createRequire(__filename)('node:fs') as typeof import('node:fs');
  const symlink = realFs.symlinkSync;
  let hub: Standin;
  before(async () => {
    hub = await startStandin([{ repo: 'acme/vit-tiny', commit: COMMIT, refs: { v1: OLD }, files }]);
    realFs.symlinkSync = () => {
      throw Object.assign(new Error('EPERM: operation not permitted, symlink'), { code: 'EPERM' });
    };
  });
  after(async () => {
    realFs.symlinkSync = symlink;
    await hub?.close();
  });

  it('files are moved into the snapshot as huggingface_hub does (no second copy); a blob another revision shares is copied; nothing is fetched twice', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'vit-nolink-'));
    const opts: HubOptions = { cacheDir: cache, endpoint: hub.endpoint, env: {} };
    const r = await pull('acme/vit-tiny', opts);
    const repo = join(cache, 'models--acme--vit-tiny');
    // huggingface_hub's _create_symlink without symlink support: shutil.move(new blob → pointer); blobs/ keeps nothing.
    assert.deepEqual(tree(repo), [
      'refs/main (40)',
      `snapshots/${COMMIT}/config.json (${config.length})`,
      `snapshots/${COMMIT}/onnx/model.onnx (${fp32.length})`,
      `snapshots/${COMMIT}/preprocessor_config.json (${pre.length})`,
    ]);
    assert.ok(readFileSync(r.weights).equals(fp32));
    assert.ok(readFileSync(join(r.path, 'config.json')).equals(config));
    // The snapshot entry is what is checked first, as in hf_hub_download: a second pull downloads nothing.
    hub.log.length = 0;
    const again = await pull('acme/vit-tiny', opts);
    assert.equal(again.weights, r.weights);
    assert.deepEqual(hub.log.filter((l) => l.server === 'cdn'), []);
    // A blob already in blobs/ (another revision fetched it) is copied, and stays for the next revision.
    const shared = mkdtempSync(join(tmpdir(), 'vit-nolink-'));
    const blobs = join(shared, 'models--acme--vit-tiny', 'blobs');
    realFs.mkdirSync(blobs, { recursive: true });
    writeFileSync(join(blobs, sha256(fp32)), fp32);
    hub.log.length = 0;
    const c = await pull('acme/vit-tiny', { ...opts, cacheDir: shared });
    assert.ok(readFileSync(c.weights).equals(fp32) && !lstatSync(c.weights).isSymbolicLink());
    assert.ok(existsSync(join(blobs, sha256(fp32))), 'the shared blob is copied, not moved');
    assert.ok(!hub.log.some((l) => l.server === 'cdn'), 'the blob in blobs/ was not fetched again');
    // Found and resolved from the cache, offline, as Select Model and hf: do.
    const off = await resolveModelSpec('hf:acme/vit-tiny', { cacheDir: cache, env: { HF_HUB_OFFLINE: '1' } });
    assert.equal(off.path, r.weights);
    assert.deepEqual(scanCache(cache, {}).map((m) => [m.id, m.path, m.variant, m.bytes]), [['hf:acme/vit-tiny', r.weights, 'fp32', fp32.length]]);
  });

  it('two pulls at once still each end with the whole snapshot (one moves the blob, the other finds it there)', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'vit-nolink-'));
    const opts: HubOptions = { cacheDir: cache, endpoint: hub.endpoint, env: {} };
    hub.log.length = 0;
    const [a, b] = await Promise.all([pull('acme/vit-tiny', opts), pull('acme/vit-tiny', opts)]);
    assert.equal(a.weights, b.weights);
    assert.ok(readFileSync(a.weights).equals(fp32));
    assert.equal(hub.log.filter((l) => l.server === 'cdn').length, 1);
  });
});
