// The Hugging Face cache Python's huggingface_hub wrote (test/fixtures/hf-cache, made by
// tools/make_hf_cache_fixture.py with hf_hub_download against the stand-in Hub): found as Select
// Model and `vit-inspect models` list it, resolved for hf: offline, and what we download into an
// empty cache is laid out entry for entry as Python laid it out.
import assert from 'node:assert/strict';
import { cpSync, existsSync, lstatSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pull } from '../../../src/core/hub/client';
import { resolveModelSpec } from '../../../src/core/hub/resolve';
import { scanCache } from '../../../src/core/hub/scan';
import { startStandin, type RepoSpec } from './standin';
import { tree } from '../helpers/tree';

const FIXTURE = resolve('test/fixtures/hf-cache');
const ONNX = '1e0c2a3b4d5e6f708192a3b4c5d6e7f8091a2b3c';
const V1 = '0ff1ce0ff1ce0ff1ce0ff1ce0ff1ce0ff1ce0ff1';
const ST = '5afe7e05afe7e05afe7e05afe7e05afe7e05afe7';
const onnxRepo = join(FIXTURE, 'models--Xenova--vit-fixture');
const stRepo = join(FIXTURE, 'models--google--vit-fixture');

/** A copy that keeps the relative symlinks as they are. */
function copyOf(dir: string): string {
  const to = mkdtempSync(join(tmpdir(), 'vit-pycache-'));
  cpSync(dir, to, { recursive: true, verbatimSymlinks: true });
  return to;
}

describe('the cache huggingface_hub wrote (test/fixtures/hf-cache)', function () {
  this.timeout(60_000);
  before(() => {
    // The fixture must be there as Python left it: a missing or de-symlinked checkout fails, never skips.
    assert.ok(existsSync(onnxRepo) && existsSync(stRepo), 'test/fixtures/hf-cache is missing: run tools/make_hf_cache_fixture.py');
    assert.ok(lstatSync(join(onnxRepo, 'snapshots', ONNX, 'onnx', 'model.onnx')).isSymbolicLink(), 'the fixture\'s snapshot entries must be symlinks (git core.symlinks)');
  });

  it('Select Model / vit-inspect models list both models with repo, revision, commit, variant, family and size; a snapshot without weights (v1) is not listed', () => {
    const found = scanCache(FIXTURE, {});
    assert.deepEqual(found, [
      { id: 'hf:Xenova/vit-fixture', repo: 'Xenova/vit-fixture', revision: 'main', commit: ONNX, path: join(onnxRepo, 'snapshots', ONNX, 'onnx', 'model.onnx'), format: 'onnx', variant: 'fp32', family: 'vit', bytes: readFileSync('test/fixtures/models/dynamic_vit.onnx').length },
      { id: 'hf:google/vit-fixture', repo: 'google/vit-fixture', revision: 'main', commit: ST, path: join(stRepo, 'snapshots', ST, 'model.safetensors'), format: 'safetensors', variant: undefined, family: 'vit', bytes: readFileSync('test/fixtures/checkpoints/hf-vit/model.safetensors').length },
    ]);
    // Through the relative symlinks, the bytes Python fetched.
    assert.ok(readFileSync(found[0].path).equals(readFileSync('test/fixtures/models/dynamic_vit.onnx')));
  });

  it('hf:… resolves through refs/ with HF_HUB_OFFLINE=1, also from $HF_HOME/hub; @v1 (configs only, as Python left it) says what is missing', async () => {
    const env = { HF_HUB_CACHE: FIXTURE, HF_HUB_OFFLINE: '1' };
    assert.equal((await resolveModelSpec('hf:Xenova/vit-fixture', { env })).path, join(onnxRepo, 'snapshots', ONNX, 'onnx', 'model.onnx'));
    assert.equal((await resolveModelSpec('hf:google/vit-fixture', { env })).path, join(stRepo, 'snapshots', ST, 'model.safetensors'));
    assert.equal((await resolveModelSpec(`hf:google/vit-fixture@${ST}`, { env })).path, join(stRepo, 'snapshots', ST, 'model.safetensors'));
    const home = mkdtempSync(join(tmpdir(), 'vit-hfhome-'));
    cpSync(FIXTURE, join(home, 'hub'), { recursive: true, verbatimSymlinks: true });
    assert.equal((await resolveModelSpec('hf:Xenova/vit-fixture', { env: { HF_HOME: home, HF_HUB_OFFLINE: '1' } })).hub?.commit, ONNX);
    await assert.rejects(resolveModelSpec('hf:Xenova/vit-fixture@v1', { env }), (e: Error) => e.name === 'UserError' && new RegExp(`vit-fixture@v1 is in the Hugging Face cache \\(.*${V1}\\) but without an ONNX model or safetensors checkpoint, and HF_HUB_OFFLINE is set`).test(e.message));
  });

  it('a pull into Python\'s cache downloads nothing; a pull into an empty cache lays out what Python laid out, entry for entry', async () => {
    const file = (repo: string, p: string): Buffer => readFileSync(join(repo, 'snapshots', repo === onnxRepo ? ONNX : ST, ...p.split('/')));
    const repos: RepoSpec[] = [
      { repo: 'Xenova/vit-fixture', commit: ONNX, refs: { v1: V1 }, files: Object.fromEntries(['config.json', 'preprocessor_config.json', 'onnx/model.onnx'].map((p) => [p, file(onnxRepo, p)])) },
      { repo: 'google/vit-fixture', commit: ST, files: Object.fromEntries(['config.json', 'preprocessor_config.json', 'model.safetensors'].map((p) => [p, file(stRepo, p)])) },
    ];
    const hub = await startStandin(repos);
    try {
      const py = copyOf(FIXTURE);
      for (const r of repos) await pull(r.repo, { cacheDir: py, endpoint: hub.endpoint, env: {} });
      assert.deepEqual(hub.log.filter((l) => l.server === 'cdn'), [], 'the weights Python fetched are used');
      const ours = mkdtempSync(join(tmpdir(), 'vit-ours-'));
      for (const r of repos) await pull(r.repo, { cacheDir: ours, endpoint: hub.endpoint, env: {} });
      // Python's extras: refs/v1 and the v1 snapshot it was asked for, the .no_exist marker of a file the repo lacks, CACHEDIR.TAG.
      const pythons = (repo: string): string[] => tree(join(FIXTURE, repo)).filter((e) => !e.startsWith('.no_exist/') && !e.includes(V1) && e !== 'refs/v1 (40)');
      for (const repo of ['models--Xenova--vit-fixture', 'models--google--vit-fixture']) assert.deepEqual(tree(join(ours, repo)), pythons(repo), repo);
    } finally {
      await hub.close();
    }
  });
});
