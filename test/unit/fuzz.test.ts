/**
 * Fuzz: mutated and truncated fixtures (seeded; FUZZ_SEED and FUZZ_CASES override) must each end
 * in a result or a UserError, within a time bound. The cases run in a worker thread watched by a
 * timer, so a hang (a synchronous loop) fails the test with the case that caused it instead of
 * stopping the run.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

const MODELS = path.resolve(process.cwd(), 'test/fixtures/models');
const SEED = Number(process.env.FUZZ_SEED ?? 20251123);
const CASES = Number(process.env.FUZZ_CASES ?? 520);
/** Per case: generous, for a loaded CI machine; a typical case takes tens of milliseconds. */
const CASE_LIMIT_MS = 5000;

interface CaseResult {
  i: number;
  kind: 'ok' | 'user' | 'bug';
  ms: number;
  what: string;
  msg?: string;
}

/** Runs inside the worker: makes case i from the seed, writes it, inspects it. */
function workerMain(): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { parentPort, workerData } = require('node:worker_threads');
  const nfs = require('node:fs');
  const npath = require('node:path');
  const { inspectModel } = require(workerData.inspectPath);
  const { isUserError } = require(workerData.errorsPath);
  const fixtures: { name: string; weight: number; bytes: Buffer }[] = workerData.fixtures.map((f: { path: string; weight: number }) => ({
    name: npath.basename(f.path),
    weight: f.weight,
    bytes: nfs.readFileSync(f.path),
  }));
  const total = fixtures.reduce((s, f) => s + f.weight, 0);
  const mulberry = (a: number) => (): number => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  /** Runs case i and reports it: started (so a hang names it), then ok, a UserError's message, or a bug's stack. */
  const runCase = (i: number, what: string, inspect: () => unknown): void => {
    parentPort.postMessage({ start: i, what });
    const t0 = Date.now();
    try {
      inspect();
      parentPort.postMessage({ i, kind: 'ok', ms: Date.now() - t0, what });
    } catch (e) {
      const user = isUserError(e);
      parentPort.postMessage({ i, kind: user ? 'user' : 'bug', ms: Date.now() - t0, what, msg: user ? (e as Error).message : String((e as Error)?.stack ?? e) });
    }
  };
  if (workerData.mode === 'graph') {
    graphCases();
    return;
  }
  for (let i = workerData.from; i < workerData.to; i++) {
    const rnd = mulberry(workerData.seed * 7919 + i);
    const int = (n: number): number => Math.floor(rnd() * n);
    let pick = rnd() * total;
    const fx = fixtures.find((f) => (pick -= f.weight) < 0) ?? fixtures[0];
    let b = Buffer.from(fx.bytes);
    let what: string;
    const kind = int(7);
    if (kind === 0) {
      const at = int(b.length);
      b = b.subarray(0, at);
      what = `truncate at ${at}`;
    } else if (kind === 1) {
      const n = 1 + int(8);
      const at: number[] = [];
      for (let k = 0; k < n; k++) {
        const p = int(b.length);
        b[p] ^= 1 << int(8);
        at.push(p);
      }
      what = `flip bits at ${at.join(',')}`;
    } else if (kind === 2) {
      const p = int(b.length);
      const n = 1 + int(64);
      for (let k = 0; k < n && p + k < b.length; k++) b[p + k] = int(256);
      what = `overwrite ${n} bytes at ${p}`;
    } else if (kind === 3) {
      const p = int(b.length);
      const ins = Buffer.from(Array.from({ length: 1 + int(32) }, () => int(256)));
      b = Buffer.concat([b.subarray(0, p), ins, b.subarray(p)]);
      what = `insert ${ins.length} bytes at ${p}`;
    } else if (kind === 4) {
      const p = int(b.length);
      const n = 1 + int(256);
      b = Buffer.concat([b.subarray(0, p), b.subarray(p + n)]);
      what = `delete ${n} bytes at ${p}`;
    } else if (kind === 5) {
      // Small varints (lengths, dims, attribute ints) made large.
      const p = int(b.length);
      let q = p;
      while (q < b.length && b[q] >= 0x80) q++;
      if (q < b.length) b[q] = 0x80 | int(128);
      if (q + 1 < b.length) b[q + 1] = int(128);
      what = `enlarge a varint at ${q}`;
    } else {
      // Swap two chunks.
      const n = 1 + int(512);
      const p = int(Math.max(1, b.length - n));
      const q = int(Math.max(1, b.length - n));
      const c1 = Buffer.from(b.subarray(p, p + n));
      b.copy(b, p, q, q + n);
      c1.copy(b, q);
      what = `swap ${n} bytes at ${p} and ${q}`;
    }
    what = `${fx.name}: ${what}`;
    const file = npath.join(workerData.dir, `case${i % 8}.onnx`);
    nfs.writeFileSync(file, b);
    runCase(i, what, () => inspectModel(file));
  }

  /** Graph-level mutations: attribute values, constant values, initializer dims, wiring, op types. */
  function graphCases(): void {
    const { readModel } = require(workerData.readerPath);
    const { inspectLoadedModel } = require(workerData.inspectPath);
    const models = workerData.fixtures.map((f: { path: string; weight: number }) => ({ weight: f.weight, model: readModel(f.path) }));
    const wsum = models.reduce((q: number, m: { weight: number }) => q + m.weight, 0);
    const vals = [0, 1, -1, 2, -2, 3, 7, 64, 1e9, -1e9, 2 ** 53, 9.2e18, -9.2e18, 4096, 65536, 0.5];
    for (let i = workerData.from; i < workerData.to; i++) {
      const rnd = mulberry(workerData.seed * 104729 + i);
      const int = (n: number): number => Math.floor(rnd() * n);
      let pick = rnd() * wsum;
      const base = (models.find((m: { weight: number }) => (pick -= m.weight) < 0) ?? models[0]).model;
      const m = structuredClone(base);
      const nodes = m.graph.nodes;
      const muts: string[] = [];
      for (let k = 0; k < 1 + int(4); k++) {
        const n = nodes[int(nodes.length)];
        const kind = int(5);
        if (kind === 0 && n.attributes.length) {
          const at = n.attributes[int(n.attributes.length)];
          if (at.type === 'int') at.value = vals[int(vals.length)];
          else if (at.type === 'ints' && at.value.length) at.value[int(at.value.length)] = vals[int(vals.length)];
          else if (at.type === 'tensor' && at.value.values?.length) at.value.values[int(at.value.values.length)] = vals[int(vals.length)];
          muts.push(`${n.name}: attribute ${at.name}`);
        } else if (kind === 1 && n.inputs.length) {
          n.inputs[int(n.inputs.length)] = nodes[int(nodes.length)].outputs[0];
          muts.push(`${n.name}: rewired`);
        } else if (kind === 2) {
          n.opType = nodes[int(nodes.length)].opType;
          muts.push(`${n.name}: op ${n.opType}`);
        } else if (kind === 3) {
          const t = m.graph.initializers[int(m.graph.initializers.length)];
          if (t.values?.length) t.values[int(t.values.length)] = vals[int(vals.length)];
          else if (t.dims.length) t.dims[int(t.dims.length)] = int(5000);
          muts.push(`initializer ${t.name}`);
        } else {
          nodes.splice(int(nodes.length), 1);
          muts.push('a node removed');
        }
      }
      const what = `${npath.basename(base.path)}: ${muts.join('; ')}`;
      runCase(i, what, () => inspectLoadedModel(m));
    }
  }
}

function runCases(from: number, to: number, dir: string, mode: 'bytes' | 'graph' = 'bytes'): Promise<CaseResult[]> {
  const compiled = (p: string): string => path.resolve(__dirname, '../../src/core', p);
  const workerData = {
    mode,
    readerPath: compiled('onnx/reader.js'),
    from,
    to,
    seed: SEED,
    dir,
    inspectPath: compiled('arch/inspect.js'),
    errorsPath: compiled('errors.js'),
    fixtures: [
      { path: path.join(MODELS, 'tiny_vit.onnx'), weight: 4 },
      { path: path.join(MODELS, 'tiny_deit.onnx'), weight: 2 },
      { path: path.join(MODELS, 'dynamic_vit.onnx'), weight: 2 },
      { path: path.join(MODELS, 'tiny_swin.onnx'), weight: 1.5 },
      { path: path.join(MODELS, 'vit_b_32.onnx'), weight: 0.5 },
    ],
  };
  return new Promise((resolve, reject) => {
    const results: CaseResult[] = [];
    const w = new Worker(`(${workerMain.toString()})()`, { eval: true, workerData });
    let current: { start: number; what: string } | null = null;
    let timer: NodeJS.Timeout | null = null;
    const arm = (): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        void w.terminate();
        reject(new Error(`case ${current?.start} (${current?.what}) ran for over ${3 * CASE_LIMIT_MS} ms: a hang`));
      }, 3 * CASE_LIMIT_MS);
    };
    arm();
    w.on('message', (m: CaseResult | { start: number; what: string }) => {
      arm();
      if ('start' in m) current = m;
      else results.push(m);
    });
    w.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(new Error(`worker died during case ${current?.start} (${current?.what}): ${e.stack ?? e}`));
    });
    w.on('exit', () => {
      if (timer) clearTimeout(timer);
      resolve(results);
    });
  });
}

const GRAPH_CASES = Number(process.env.FUZZ_GRAPH_CASES ?? 200);

describe(`fuzz: ${CASES} mutated and truncated files, ${GRAPH_CASES} mutated graphs (seed ${SEED})`, function () {
  this.timeout(600000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vit-fuzz-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('every case ends in a result or a UserError, each within the time bound', async () => {
    const results = await runCases(0, CASES, dir);
    assert.equal(results.length, CASES);
    const bugs = results.filter((r) => r.kind === 'bug');
    assert.deepEqual(bugs.slice(0, 3).map((b) => `#${b.i} ${b.what}: ${b.msg}`), []);
    const slow = results.filter((r) => r.ms > CASE_LIMIT_MS);
    assert.deepEqual(slow.map((r) => `#${r.i} ${r.what}: ${r.ms} ms`), []);
    // The mutations reach both outcomes: the fuzzer is not only feeding the sniffing of the first bytes.
    const ok = results.filter((r) => r.kind === 'ok').length;
    if (process.env.FUZZ_VERBOSE) console.log(JSON.stringify({ ok, user: results.length - ok, maxMs: Math.max(...results.map((r) => r.ms)) }), [...new Set(results.filter((r) => r.kind === 'user').map((r) => (r.msg ?? '').replace(/[0-9]+/g, 'N').slice(0, 90)))].slice(0, 40).join('\n'));
    const user = results.filter((r) => r.kind === 'user').length;
    assert.ok(ok > CASES * 0.1 && user > CASES * 0.2, `${ok} results, ${user} user errors`);
    // Every UserError message says what to do.
    for (const r of results.filter((x) => x.kind === 'user')) {
      assert.match(r.msg ?? '', /\. [A-Z]|; |Export|again|Open|Choose|Try|Leave|Move|Check/, `#${r.i}: ${r.msg}`);
    }
  });

  it('graph-level mutations (attributes, constants, dims, wiring, op types, removed nodes) end in a result or a UserError, in time', async () => {
    const results = await runCases(0, GRAPH_CASES, dir, 'graph');
    assert.equal(results.length, GRAPH_CASES);
    const bugs = results.filter((r) => r.kind === 'bug');
    assert.deepEqual(bugs.slice(0, 3).map((b) => `#${b.i} ${b.what}: ${b.msg}`), []);
    const slow = results.filter((r) => r.ms > CASE_LIMIT_MS);
    assert.deepEqual(slow.map((r) => `#${r.i} ${r.what}: ${r.ms} ms`), []);
  });
});
