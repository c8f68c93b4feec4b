// Download Model from Hugging Face… in a real VS Code (code-server) with the packaged .vsix,
// against the local stand-in Hub (HF_ENDPOINT → 127.0.0.1, HF_HUB_CACHE → a temp folder): a
// repo in the Transformers.js layout built from the embedded Fashion-MNIST ViT; cancel mid-file,
// then a download whose connection drops (resumed with Range); the cache as huggingface_hub lays
// it out; Classify Image with the downloaded model gives what the CLI gives. No internet.
import * as assert from 'node:assert/strict';
import { copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { explorerContextMenu, findWebviewFrame, notifications, root, runCommand, screenshot, useWorkbench } from './harness';
import { resultsDir } from '../webview/browser';
import { topClasses } from './expected';
import { gitSha1, sha256, startProxy, startStandin, type Standin, type StandinProxy } from '../unit/hub/standin';
import type { Page } from 'playwright-core';
import { tree } from '../unit/helpers/tree';

const REPO = 'vit-inspector/fashion-mnist-vit';
const COMMIT = '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c';
const labels = readFileSync(join(root, 'media', 'models', 'fashion-mnist.labels.txt'), 'utf8').trim().split('\n');
const weights = readFileSync(join(root, 'media', 'models', 'fashion-vit.onnx'));
const embedded = JSON.parse(readFileSync(join(root, 'media', 'models', 'fashion-vit.json'), 'utf8')) as { resize: number; mean: number[]; std: number[] };
const files: Record<string, Buffer> = {
  'config.json': Buffer.from(JSON.stringify({ model_type: 'vit', architectures: ['ViTForImageClassification'], image_size: 28, patch_size: 4, id2label: Object.fromEntries(labels.map((l, i) => [i, l])) })),
  // The embedded model's own preprocessing, written as a Transformers.js repo writes it.
  'preprocessor_config.json': Buffer.from(JSON.stringify({ do_resize: true, size: { height: embedded.resize, width: embedded.resize }, resample: 2, do_normalize: true, image_mean: embedded.mean, image_std: embedded.std })),
  'onnx/model.onnx': weights,
  // A second variant for the pick; it must never be fetched.
  'onnx/model_fp16.onnx': readFileSync(join(root, 'test', 'fixtures', 'models', 'tiny_swin_fp16.onnx')),
  'README.md': Buffer.from('# Fashion-MNIST ViT (test repo)\n'),
};
const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs the command, types the repo id, picks the variant by its label. */
async function startDownload(page: Page, variant: string): Promise<void> {
  await runCommand(page, 'ViT Inspector: Download Model from Hugging Face…');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(REPO);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'typed id' }).first().waitFor();
  await page.keyboard.press('Enter');
  // The variant pick: each ONNX variant with its file and size from the Hub API.
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'onnx/model.onnx' }).first();
  await row.waitFor({ timeout: 30_000 });
  const shown = await page.locator('.quick-input-list .monaco-list-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label')));
  assert.deepEqual(shown, [`fp32, onnx/model.onnx · ${mb(weights.length)}`, `fp16, onnx/model_fp16.onnx · ${mb(files['onnx/model_fp16.onnx'].length)}`]);
  await page.locator(`.quick-input-list .monaco-list-row[aria-label^="${variant}, "]`).first().click();
}

describe('e2e: Download Model from Hugging Face (stand-in Hub) in code-server', function () {
  this.timeout(240_000);
  const ws = join(resultsDir('e2e'), 'workspace-hub');
  const cache = join(resultsDir('e2e'), 'hub-cache');
  rmSync(ws, { recursive: true, force: true });
  rmSync(cache, { recursive: true, force: true });
  mkdirSync(ws, { recursive: true });
  mkdirSync(cache, { recursive: true });
  copyFileSync(join(root, 'samples', 'bag.png'), join(ws, 'bag.png'));
  const repoDir = join(cache, `models--${REPO.replace('/', '--')}`);
  const blob = join(repoDir, 'blobs', sha256(weights));

  let hub: Standin;
  const saved = { endpoint: process.env.HF_ENDPOINT, cache: process.env.HF_HUB_CACHE };
  // Before code-server starts (useWorkbench's hook): it and its extension host inherit this env.
  before(async () => {
    hub = await startStandin([{ repo: REPO, commit: COMMIT, files }]);
    process.env.HF_ENDPOINT = hub.endpoint;
    process.env.HF_HUB_CACHE = cache;
  });
  after(async () => {
    await hub?.close();
    for (const [k, v] of [['HF_ENDPOINT', saved.endpoint], ['HF_HUB_CACHE', saved.cache]] as const) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  });
  const wb = useWorkbench({ name: 'hub', folder: ws, escapeAfterEach: true });

  it('cancel mid-download (progress shows bytes): nothing enters the snapshot, no ref; the part fetched is kept for resuming', async () => {
    hub.faults.slowMs = 400; // 64 KiB every 0.4 s: ~8 s for the weights
    await startDownload(wb.page, 'fp32');
    const progress = wb.page.locator('.notification-list-item', { hasText: `Downloading ${REPO} (fp32)` }).first();
    await progress.waitFor({ timeout: 30_000 });
    // Wait until the weights are arriving (more than the configs' bytes shown).
    const configs = files['config.json'].length + files['preprocessor_config.json'].length;
    let text = '';
    for (let i = 0; i < 100; i++) {
      text = (await progress.innerText()).replace(/\s+/g, ' ');
      const m = /([\d.]+) MB of ([\d.]+) MB/.exec(text);
      if (m && Number(m[1]) * 1e6 > configs + 200_000) break;
      await sleep(200);
    }
    const m = /([\d.]+) MB of ([\d.]+) MB · [\d.]+ MB\/s · \d+ s left/.exec(text);
    assert.ok(m, `the progress shows bytes, rate and time left: ${text}`);
    assert.equal(m[2], (( configs + weights.length) / 1e6).toFixed(1), 'the total is the configs + the chosen weights only');
    await screenshot(wb.page, 'hub-progress');
    await progress.locator('.monaco-button', { hasText: 'Cancel' }).click();
    const gone = wb.page.locator('.notification-list-item', { hasText: 'Download cancelled' }).first();
    await gone.waitFor({ timeout: 30_000 });
    assert.match(await gone.innerText(), /Nothing was added to the snapshot/);
    assert.ok(!existsSync(join(repoDir, 'snapshots', COMMIT)), `nothing in the snapshot: ${existsSync(repoDir) ? tree(repoDir).join('\n') : ''}`);
    assert.ok(!existsSync(join(repoDir, 'refs', 'main')), 'no ref for an unfinished download');
    assert.ok(!existsSync(blob), 'the weights blob is not complete');
    // Kept as huggingface_hub keeps it: the next download resumes from it (next test).
    const part = `${blob}.incomplete`;
    assert.ok(existsSync(part) && lstatSync(part).size > 0 && lstatSync(part).size < weights.length, 'the part fetched is kept as .incomplete');
    await gone.locator('.codicon-notifications-clear, .clear-notification-action').first().click().catch(() => undefined);
  });

  it('download again with a dropped connection: resumed with Range requests; the cache laid out as huggingface_hub lays it out; sha256 checks', async () => {
    delete hub.faults.slowMs;
    const kept = lstatSync(`${blob}.incomplete`).size;
    hub.faults.drop = { path: 'onnx/model.onnx', after: 300_000, times: 1 };
    hub.log.length = 0;
    await startDownload(wb.page, 'fp32');
    const done = wb.page.locator('.notification-list-item', { hasText: 'is in the Hugging Face cache' }).first();
    await done.waitFor({ timeout: 60_000 });
    // The cancelled part was resumed, then the drop was resumed where it broke off.
    const ranges = hub.log.filter((l) => l.server === 'cdn').map((l) => l.range);
    assert.deepEqual(ranges, [`bytes=${kept}-`, `bytes=${kept + 300_000}-`]);
    // Only what the model needs was asked for: no fp16 weights, no README.
    const asked = hub.log.filter((l) => l.server === 'hub' && /\/resolve\//.test(l.url)).map((l) => decodeURIComponent(l.url.replace(/^.*\/resolve\/[^/]+\//, '')));
    assert.deepEqual([...new Set(asked)].sort(), ['config.json', 'onnx/model.onnx', 'preprocessor_config.json']);
    const cfg = gitSha1(files['config.json']);
    const pre = gitSha1(files['preprocessor_config.json']);
    const lfs = sha256(weights);
    assert.deepEqual(tree(repoDir), [
      ...[`blobs/${cfg} (${files['config.json'].length})`, `blobs/${lfs} (${weights.length})`, `blobs/${pre} (${files['preprocessor_config.json'].length})`].sort(),
      `refs/main (${COMMIT.length})`,
      `snapshots/${COMMIT}/config.json -> ../../blobs/${cfg}`,
      `snapshots/${COMMIT}/onnx/model.onnx -> ../../../blobs/${lfs}`,
      `snapshots/${COMMIT}/preprocessor_config.json -> ../../blobs/${pre}`,
    ]);
    assert.equal(readFileSync(join(repoDir, 'refs', 'main'), 'utf8'), COMMIT);
    assert.equal(sha256(readFileSync(join(repoDir, 'snapshots', COMMIT, 'onnx', 'model.onnx'))), lfs, 'the weights are the Hub\'s bytes');
    await screenshot(wb.page, 'hub-downloaded');
    await done.locator('.monaco-button', { hasText: 'Use for Classify Image' }).click();
    assert.deepEqual((await notifications(wb.page)).filter((n) => n.severity === 'error'), []);
  });

  it('Classify Image with the downloaded model: the top classes and probabilities the CLI gives, labels from its config.json', async () => {
    const model = join(repoDir, 'snapshots', COMMIT, 'onnx', 'model.onnx');
    for (let i = 0; i < 50 && !existsSync(join(ws, '.vscode', 'settings.json')); i++) await sleep(200);
    assert.equal(JSON.parse(readFileSync(join(ws, '.vscode', 'settings.json'), 'utf8'))['vitInspector.modelPath'], model);
    await explorerContextMenu(wb.page, 'bag.png', 'Classify Image');
    const frame = await findWebviewFrame(wb.page, '[data-image="bag.png"] #top li', 120_000);
    const want = topClasses(join(ws, 'bag.png'), model, 5);
    const shown = await frame.locator('#top li').evaluateAll((lis) => lis.map((li) => ({ label: li.querySelector('.name')?.textContent?.trim(), prob: li.querySelector('.prob')?.textContent?.trim() })));
    assert.deepEqual(shown, want, 'top-5 classes with their probabilities');
    assert.equal(want[0].label, 'Bag');
    assert.match(await frame.locator('#labels').innerText(), /config\.json/);
    await screenshot(wb.page, 'hub-classify');
    assert.deepEqual((await notifications(wb.page)).filter((n) => n.severity === 'error'), []);
  });
});

/** A workbench whose code-server runs with `env` (set before useWorkbench's hook starts it), and a stand-in that must not be asked. */
function hubSuite(name: string, env: Record<string, string>, restricted: boolean): { wb: ReturnType<typeof useWorkbench>; hub: () => Standin } {
  const ws = join(resultsDir('e2e'), `workspace-${name}`);
  rmSync(ws, { recursive: true, force: true });
  mkdirSync(ws, { recursive: true });
  let hub: Standin;
  const saved: Record<string, string | undefined> = {};
  before(async () => {
    hub = await startStandin([{ repo: REPO, commit: COMMIT, files }]);
    for (const [k, v] of Object.entries({ HF_ENDPOINT: hub.endpoint, HF_HUB_CACHE: join(resultsDir('e2e'), `hub-cache-${name}`), ...env })) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });
  after(async () => {
    await hub?.close();
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  });
  return { wb: useWorkbench({ name, folder: ws, restricted, escapeAfterEach: true }), hub: () => hub };
}

describe('e2e: Download Model in Restricted Mode', function () {
  this.timeout(180_000);
  const s = hubSuite('hub-restricted', {}, true);
  it('asks for trust first (a modal with Manage Workspace Trust) and asks the Hub nothing', async () => {
    await runCommand(s.wb.page, 'ViT Inspector: Download Model from Hugging Face…');
    const dialog = s.wb.page.locator('.monaco-dialog-box', { hasText: 'trust this workspace first' }).first();
    await dialog.waitFor({ timeout: 30_000 });
    assert.ok((await dialog.locator('.monaco-button', { hasText: 'Manage Workspace Trust' }).count()) > 0);
    await screenshot(s.wb.page, 'hub-restricted');
    await s.wb.page.keyboard.press('Escape');
    assert.deepEqual(s.hub().log, []);
  });
});

describe('e2e: Download Model with HF_HUB_OFFLINE=1', function () {
  this.timeout(180_000);
  const s = hubSuite('hub-offline', { HF_HUB_OFFLINE: '1' }, false);
  it('says HF_HUB_OFFLINE is set and nothing is downloaded; asks the Hub nothing', async () => {
    await runCommand(s.wb.page, 'ViT Inspector: Download Model from Hugging Face…');
    const msg = s.wb.page.locator('.notification-list-item', { hasText: 'HF_HUB_OFFLINE is set' }).first();
    await msg.waitFor({ timeout: 30_000 });
    assert.match(await msg.innerText(), /nothing is downloaded.*Select Model/s);
    assert.deepEqual(s.hub().log, []);
  });
});

/** Sets process.env (inherited by code-server, started by useWorkbench's later hook) and restores it after. */
function withEnv(get: () => Record<string, string>): void {
  const saved: Record<string, string | undefined> = {};
  before(() => {
    for (const [k, v] of Object.entries(get())) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });
  after(() => {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  });
}

describe('e2e: "Hugging Face: Set Access Token" and VS Code\'s http.proxy, for Download Model', function () {
  this.timeout(240_000);
  const ws = join(resultsDir('e2e'), 'workspace-hub-proxy');
  rmSync(ws, { recursive: true, force: true });
  mkdirSync(ws, { recursive: true });
  const cache = join(resultsDir('e2e'), 'hub-cache-proxy');
  rmSync(cache, { recursive: true, force: true });
  let hub: Standin;
  let proxy: StandinProxy;
  // Filled in before code-server starts: the proxy's port is known only once it listens.
  const settings: Record<string, unknown> = {};
  before(async () => {
    // Host names only the proxy can reach (VS Code sends 127.0.0.1 direct, never through a proxy).
    hub = await startStandin([{ repo: REPO, commit: COMMIT, files }], { cdnHost: 'cdn.invalid' });
    hub.faults.token = 'hf_e2e_token';
    proxy = await startProxy({ 'hub.invalid': Number(new URL(hub.endpoint).port), 'cdn.invalid': Number(new URL(hub.cdn).port) });
    settings['http.proxy'] = proxy.url;
  });
  after(async () => {
    await proxy?.close();
    await hub?.close();
  });
  withEnv(() => ({ HF_ENDPOINT: `http://hub.invalid:${new URL(hub.endpoint).port}`, HF_HUB_CACHE: cache, HF_TOKEN: '', HF_HOME: join(resultsDir('e2e'), 'hf-home-empty') }));
  const wb = useWorkbench({ name: 'hub-proxy', folder: ws, settings, escapeAfterEach: true });

  it('the token typed into Set Access Token (SecretStorage) goes to the Hub\'s API and resolve route, never to the CDN; every request goes through http.proxy', async () => {
    await runCommand(wb.page, 'Hugging Face: Set Access Token');
    // The command's input box replaces the palette's: typed as a password.
    const input = wb.page.locator('.quick-input-widget input[type="password"]');
    await input.waitFor({ state: 'visible', timeout: 30_000 });
    await input.fill('hf_e2e_token');
    await wb.page.keyboard.press('Enter');
    await wb.page.locator('.notification-list-item', { hasText: 'access token saved' }).first().waitFor({ timeout: 30_000 });
    assert.deepEqual([hub.log, proxy.log], [[], []], 'activating the extension and saving a token ask the Hub nothing');
    await startDownload(wb.page, 'fp32');
    const done = wb.page.locator('.notification-list-item', { hasText: 'is in the Hugging Face cache' }).first();
    await done.waitFor({ timeout: 60_000 });
    const weightsBlob = join(cache, `models--${REPO.replace('/', '--')}`, 'blobs', sha256(weights));
    assert.equal(sha256(readFileSync(weightsBlob)), sha256(weights));
    const hubPort = new URL(hub.endpoint).port;
    const cdnPort = new URL(hub.cdn).port;
    const through = proxy.log.map((l) => `${l.method} ${l.target.replace(/\?.*$/, '')}`);
    assert.ok(through.includes(`GET http://hub.invalid:${hubPort}/api/models/${REPO}/revision/main`), through.join('\n'));
    assert.ok(through.includes(`HEAD http://hub.invalid:${hubPort}/${REPO}/resolve/${COMMIT}/onnx/model.onnx`), through.join('\n'));
    assert.ok(through.includes(`GET http://cdn.invalid:${cdnPort}/blob/${sha256(weights)}`), through.join('\n'));
    // Everything the stand-in served came through the proxy.
    assert.equal(hub.log.length, proxy.log.length);
    const onHub = hub.log.filter((l) => l.server === 'hub');
    assert.ok(onHub.some((l) => l.url.startsWith('/api/')) && onHub.some((l) => l.url.includes('/resolve/')));
    assert.deepEqual([...new Set(onHub.map((l) => l.authorization))], ['Bearer hf_e2e_token']);
    assert.deepEqual(hub.log.filter((l) => l.server === 'cdn').map((l) => l.authorization ?? 'none'), ['none']);
    await screenshot(wb.page, 'hub-proxy-token');
  });
});

describe('e2e: Select Model lists the models Python\'s huggingface_hub downloaded, and runs one offline', function () {
  this.timeout(240_000);
  const ws = join(resultsDir('e2e'), 'workspace-hub-python');
  rmSync(ws, { recursive: true, force: true });
  mkdirSync(ws, { recursive: true });
  copyFileSync(join(root, 'samples', 'bag.png'), join(ws, 'bag.png'));
  // test/fixtures/hf-cache, written by hf_hub_download (tools/make_hf_cache_fixture.py); copied with its relative symlinks.
  const cache = join(resultsDir('e2e'), 'hub-cache-python');
  rmSync(cache, { recursive: true, force: true });
  cpSync(join(root, 'test', 'fixtures', 'hf-cache'), cache, { recursive: true, verbatimSymlinks: true });
  const snapshot = join(cache, 'models--Xenova--vit-fixture', 'snapshots', '1e0c2a3b4d5e6f708192a3b4c5d6e7f8091a2b3c');
  // The cache given by the vitInspector.hfCache setting, which wins over $HF_HUB_CACHE (an empty folder here). In the
  // workspace settings: the setting is machine-overridable, and code-server's window is remote (user settings do not reach it).
  const empty = join(resultsDir('e2e'), 'hub-cache-empty');
  rmSync(empty, { recursive: true, force: true });
  mkdirSync(empty, { recursive: true });
  mkdirSync(join(ws, '.vscode'));
  writeFileSync(join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'vitInspector.hfCache': cache }, null, 2));
  withEnv(() => ({ HF_HUB_CACHE: empty, HF_HUB_OFFLINE: '1', HF_ENDPOINT: 'http://127.0.0.1:9' }));
  const wb = useWorkbench({ name: 'hub-python', folder: ws, escapeAfterEach: true });

  it('both repos under "Hugging Face cache" with variant, family and size; the ONNX one classifies bag.png as the CLI does, labels from its config.json', async () => {
    await runCommand(wb.page, 'ViT Inspector: Select Model');
    const rows = wb.page.locator('.quick-input-list .monaco-list-row');
    await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 'Xenova/vit-fixture' }).first().waitFor({ timeout: 30_000 });
    const labels = await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('aria-label') ?? ''));
    const mb = (f: string): string => `${(readFileSync(f).length / 1e6).toFixed(1)} MB`;
    const onnx = join(snapshot, 'onnx', 'model.onnx');
    const st = join(cache, 'models--google--vit-fixture', 'snapshots', '5afe7e05afe7e05afe7e05afe7e05afe7e05afe7', 'model.safetensors');
    assert.ok(labels.some((l) => l.includes(`Xenova/vit-fixture, fp32 · vit · ${mb(onnx)}, ${onnx}`)), labels.join('\n'));
    assert.ok(labels.some((l) => l.includes(`google/vit-fixture, safetensors · vit · ${mb(st)}, ${st}`)), labels.join('\n'));
    await screenshot(wb.page, 'hub-python-cache');
    await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 'Xenova/vit-fixture' }).first().click();
    const stored = (): unknown => (existsSync(join(ws, '.vscode', 'settings.json')) ? JSON.parse(readFileSync(join(ws, '.vscode', 'settings.json'), 'utf8') || '{}')['vitInspector.modelPath'] : undefined);
    for (let i = 0; i < 75 && stored() === undefined; i++) await sleep(200);
    assert.equal(stored(), onnx);
    await explorerContextMenu(wb.page, 'bag.png', 'Classify Image');
    const frame = await findWebviewFrame(wb.page, '[data-image="bag.png"] #top li', 120_000);
    const shown = await frame.locator('#top li').evaluateAll((lis) => lis.map((li) => ({ label: li.querySelector('.name')?.textContent?.trim(), prob: li.querySelector('.prob')?.textContent?.trim() })));
    assert.deepEqual(shown, topClasses(join(ws, 'bag.png'), onnx, 5));
    assert.match(await frame.locator('#labels').innerText(), /config\.json/);
    assert.deepEqual((await notifications(wb.page)).filter((n) => n.severity === 'error'), []);
  });

  it('vitInspector.modelPath = hf:google/vit-fixture (the safetensors checkpoint) is resolved from that cache: Classify Image gives what the CLI gives for its snapshot', async () => {
    const st = join(cache, 'models--google--vit-fixture', 'snapshots', '5afe7e05afe7e05afe7e05afe7e05afe7e05afe7', 'model.safetensors');
    const settingsFile = join(ws, '.vscode', 'settings.json');
    writeFileSync(settingsFile, JSON.stringify({ ...JSON.parse(readFileSync(settingsFile, 'utf8')), 'vitInspector.modelPath': 'hf:google/vit-fixture' }, null, 2));
    const want = topClasses(join(ws, 'bag.png'), st, 5);
    assert.deepEqual(want.map((t) => t.label).sort(), ['goldfish', 'great white shark', 'hammerhead', 'tench', 'tiger shark']);
    // A fresh panel each try: the settings file change reaches the extension host within a moment.
    let shown: { label?: string; prob?: string }[] = [];
    for (let i = 0; i < 5; i++) {
      await runCommand(wb.page, 'View: Close All Editors');
      await explorerContextMenu(wb.page, 'bag.png', 'Classify Image');
      const frame = await findWebviewFrame(wb.page, '[data-image="bag.png"] #top li', 120_000);
      shown = await frame.locator('#top li').evaluateAll((lis) => lis.map((li) => ({ label: li.querySelector('.name')?.textContent?.trim(), prob: li.querySelector('.prob')?.textContent?.trim() })));
      if (shown[0]?.label === want[0].label) break;
      await sleep(2000);
    }
    assert.deepEqual(shown, want);
    assert.deepEqual((await notifications(wb.page)).filter((n) => n.severity === 'error'), []);
  });
});

