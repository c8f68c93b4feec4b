// The Execution Providers panel (webview/providers) in real Chromium, fed the recorded host
// messages of test/webview/recordings/providers.json.
import * as assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { browserSuite, openPanel, panelSuite, recording } from './harness';

describe('webview: providers panel', function () {
  const messages = recording('providers');
  const result = messages.find((m) => m.type === 'providers') as {
    providers: Array<{ name: string; works: boolean | null; compiled: boolean; reason: string | null; fix: string | null }>;
  };

  const env = browserSuite();
  const suite = panelSuite('providers', {}, env);

  it('tells the host it is ready as soon as it loads', async () => {
    const posted = await suite.panel.posted();
    assert.deepEqual(posted[0], { type: 'ready' });
  });

  it('draws one row per provider, with whether it works and why not', async () => {
    await suite.panel.send(...messages);
    const rows = await suite.panel.page.$$eval('tr[data-provider]', (trs) => trs.map((tr) => ({ name: tr.getAttribute('data-provider'), text: (tr as HTMLElement).innerText })));
    assert.deepEqual(
      rows.map((r) => r.name),
      result.providers.map((p) => p.name),
    );
    const row = (n: string) => rows.find((r) => r.name === n)!.text;
    assert.match(row('cpu'), /\bworks\b/);
    assert.match(row('cpu'), /12 ms/);
    // A provider that fails shows the runtime's reason and what to do, and never "works".
    assert.doesNotMatch(row('cuda'), /\bworks\b/);
    assert.ok(row('cuda').includes('libcublasLt.so.12: cannot open shared object file'), row('cuda'));
    assert.ok(row('cuda').includes('onnxruntime-node-install-cuda'), row('cuda'));
    // Providers this build of ONNX Runtime lacks are listed, but neither as working nor as failing.
    assert.doesNotMatch(row('dml'), /\bworks\b|fails/);
    assert.deepEqual(suite.panel.errors, []);
  });

  it('says which provider inference actually runs on: the first of the order that works', async () => {
    await suite.panel.send(...messages);
    const status = await suite.panel.page.textContent('[role=status]');
    assert.match(status ?? '', /1\.30\.0/);
    assert.match(status ?? '', /linux-x64/);
    // order is cuda, webgpu, cpu; cuda and webgpu fail here, so cpu.
    assert.match(status ?? '', /runs on:?\s*cpu\b/i);
  });

  it('shows the busy message, then an error from the host in place of the status', async () => {
    await suite.panel.send({ type: 'busy', message: 'Probing execution providers…' });
    assert.equal((await suite.panel.page.textContent('[role=status]'))?.trim(), 'Probing execution providers…');
    await suite.panel.send({ type: 'error', message: 'The inference process exited (code 134).' });
    assert.match((await suite.panel.page.textContent('[role=status]')) ?? '', /inference process exited \(code 134\)/);
  });

  it('asks the host to probe again when "Probe again" is clicked', async () => {
    await suite.panel.send(...messages);
    await suite.panel.page.click('#refresh');
    const posted = await suite.panel.posted();
    assert.deepEqual(posted.at(-1), { type: 'refresh' });
  });

  it('renders under the strict CSP, in dark and light themes, without errors (screenshots)', async function () {
    this.timeout(60_000);
    await suite.panel.send(...messages);
    const dark = await suite.panel.screenshot('providers');
    assert.deepEqual(await suite.panel.cspViolations(), []);
    // Colours come from the theme: the page background is the theme's editor background.
    assert.equal(await suite.panel.page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(31, 31, 31)');
    const light = await openPanel(env.browser, env.server, 'providers', { theme: 'light' });
    try {
      await light.send(...messages);
      assert.equal(await light.page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(255, 255, 255)');
      const file = await light.screenshot('providers-light');
      assert.ok(statSync(file).size > 5_000);
      assert.deepEqual(await light.cspViolations(), []);
      assert.deepEqual(light.errors, []);
    } finally {
      await light.close();
    }
    assert.ok(statSync(dark).size > 5_000);
    assert.deepEqual(suite.panel.errors, []);
  });

  it('asks for the node placement and shows which provider ran how many nodes, and what fell back', async () => {
    await suite.panel.send(...messages);
    await suite.panel.page.click('#placement');
    const posted = await suite.panel.posted();
    assert.deepEqual(posted[posted.length - 1], { type: 'placement' });
    await suite.panel.send({
      type: 'placement',
      model: '/m/fashion-swin.onnx',
      ep: 'cuda',
      failures: [],
      nodes: 3,
      byProvider: [
        { provider: 'CUDAExecutionProvider', nodes: 2, ms: 1.5 },
        { provider: 'CPUExecutionProvider', nodes: 1, ms: 0.2 },
      ],
      fallback: [{ name: '/features.1/Range', op: 'Range', provider: 'CPUExecutionProvider' }],
      copies: 2,
    });
    const rows = await suite.panel.page.$$eval('#placement-result tr[data-provider-name]', (trs) => trs.map((t) => (t as HTMLElement).innerText.replace(/\s+/g, ' ').trim()));
    assert.deepEqual(rows, ['CUDAExecutionProvider 2 1.50', 'CPUExecutionProvider 1 0.20']);
    assert.match((await suite.panel.page.textContent('#placement-result summary'))!, /1 node\(s\) did not run on cuda/);
    assert.match((await suite.panel.page.textContent('#copies'))!, /^2 copies between host and device memory/);
  });

  it('names a WebGPU adapter, a software one with its label; the reasons still wrap', async () => {
    await suite.panel.send({
      type: 'providers',
      platform: 'linux-x64',
      ortVersion: '1.30.0',
      order: ['webgpu', 'cpu'],
      providers: [
        {
          name: 'webgpu', compiled: true, works: true, reason: null, fix: null, ms: 340,
          adapter: { vendor: 'Google', architecture: '', description: 'SwiftShader Device (Subzero)', type: 'cpu', driver: '/usr/lib/chromium/libvk_swiftshader.so', software: true, label: 'software Vulkan (SwiftShader/llvmpipe): correct, not fast' },
        },
        { name: 'cpu', compiled: true, works: true, reason: null, fix: null, ms: 12 },
      ],
    });
    const row = await suite.panel.page.$eval('tr[data-provider="webgpu"]', (tr) => (tr as HTMLElement).innerText);
    assert.match(row, /Google SwiftShader Device \(Subzero\), cpu/);
    assert.match(row, /software Vulkan \(SwiftShader\/llvmpipe\): correct, not fast/);
    assert.match((await suite.panel.page.textContent('[role=status]')) ?? '', /runs on:?\s*webgpu\b/i);
  });

  it('after a self-check with only the CPU working: the summary stays, failures are not repeated, it says why there is no parity result (issue 23)', async () => {
    await suite.panel.send(...messages);
    const summaryBefore = await suite.panel.page.textContent('#summary');
    const cuda = result.providers.find((p) => p.name === 'cuda')! as { name: string; reason: string; fix: string };
    await suite.panel.send({
      type: 'doctor',
      report: 'ViT Inspector GPU self-check (vit-inspect doctor)\n' + 'x'.repeat(400),
      result: {
        platform: 'linux-x64', ortVersion: '1.30.0', node: 'v20.0.0', env: {},
        providers: result.providers,
        checks: [],
        verdict: [`cuda: does not start (${cuda.reason}). To use it: ${cuda.fix}`, 'No provider other than cpu starts here, so there is nothing to compare the CPU with: no parity or speed result.'],
      },
    });
    assert.equal(await suite.panel.page.textContent('#summary'), summaryBefore);
    const shown = await suite.panel.page.evaluate(() => document.body.innerText);
    assert.equal(shown.split(cuda.reason).length - 1, 1, 'the failure is shown once (in the table), not in the verdict and the report as well');
    assert.match((await suite.panel.page.textContent('#doctor-result ul.verdict'))!, /nothing to compare the CPU with: no parity or speed result/);
    await suite.panel.page.click('#doctor-result details.report summary');
    const report = await suite.panel.page.$eval('#doctor-result pre.report', (e) => [e.scrollWidth, e.clientWidth]);
    assert.ok(report[0] <= report[1] + 1, `the report wraps (${report[0]} > ${report[1]} px)`);
  });

  it('asks for the GPU self-check and shows its verdict and the report to copy', async () => {
    await suite.panel.send(...messages);
    await suite.panel.page.click('#doctor');
    const posted = await suite.panel.posted();
    assert.deepEqual(posted[posted.length - 1], { type: 'doctor' });
    const report = 'ViT Inspector GPU self-check (vit-inspect doctor)\nprovider  workload  max |Δ|\nwebgpu    fashion-vit.onnx  4.2e-7';
    await suite.panel.send({
      type: 'doctor',
      report,
      result: {
        platform: 'linux-x64', ortVersion: '1.30.0', node: 'v20.0.0', env: {},
        providers: [],
        checks: [],
        verdict: ['webgpu on Google "SwiftShader Device (Subzero)" (cpu): software Vulkan (SwiftShader/llvmpipe): correct, not fast: works, outputs within 0.0001 of cpu, 150.0× slower than cpu (geometric mean of warm runs)'],
      },
    });
    assert.match((await suite.panel.page.textContent('#doctor-result ul.verdict'))!, /works, outputs within 0\.0001 of cpu/);
    assert.equal(await suite.panel.page.textContent('#doctor-result pre.report'), report);
    // The summary line stays after the self-check (issue 23: it vanished and left a gap).
    assert.match((await suite.panel.page.textContent('#summary'))!, /^ONNX Runtime \S+ on \S+\. Inference runs on: \w+\.$/);
    await suite.panel.page.click('#doctor-result details.report summary');
    await suite.panel.page.click('#copy-doctor');
    const after = await suite.panel.posted();
    assert.deepEqual(after[after.length - 1], { type: 'copy', text: report });
    assert.deepEqual(suite.panel.errors, []);
  });
});
