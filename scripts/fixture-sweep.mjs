#!/usr/bin/env node
/**
 * Fixture-removal sweep (issue 21): for each committed fixture, move it aside, run only the test
 * files that name it, and check they FAIL within a time limit (not pass, not skip, not hang); the
 * fixture is always put back, even on Ctrl-C. Slow: not part of `npm test`.
 *
 *   node scripts/build.mjs --tests && node scripts/fixture-sweep.mjs [--only models,checkpoints] [--limit-s 300] [--e2e]
 *
 * A unit is a file under test/fixtures/{models,images,reference,preprocess} or media/models, or one
 * checkpoint folder (test/fixtures/checkpoints/X, .../swin/X). Prints a Markdown table.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const only = opt('only', 'models,checkpoints,images,reference,preprocess,media').split(',');
const limitMs = Number(opt('limit-s', '300')) * 1000;
const withE2e = args.includes('--e2e');

function units() {
  const out = [];
  const files = (dir) => existsSync(join(root, dir)) ? readdirSync(join(root, dir)).map((f) => join(dir, f)) : [];
  for (const group of ['models', 'images', 'reference', 'preprocess']) {
    if (only.includes(group)) out.push(...files(`test/fixtures/${group}`).map((p) => ({ group, path: p })));
  }
  if (only.includes('checkpoints')) {
    for (const p of files('test/fixtures/checkpoints')) {
      if (basename(p) === 'swin') out.push(...files(p).map((q) => ({ group: 'checkpoints', path: q })));
      else out.push({ group: 'checkpoints', path: p });
    }
  }
  if (only.includes('media')) out.push(...files('media/models').filter((p) => !p.endsWith('.md')).map((p) => ({ group: 'media', path: p })));
  return out;
}

function walkTs(dir, acc = []) {
  for (const f of readdirSync(join(root, dir))) {
    const p = join(dir, f);
    if (f === 'fixtures' || f === 'node_modules') continue;
    if (statSync(join(root, p)).isDirectory()) walkTs(p, acc);
    else if (f.endsWith('.ts')) acc.push(p);
  }
  return acc;
}
const sources = walkTs('test').map((p) => ({ p, text: readFileSync(join(root, p), 'utf8') }));

/** Test files naming the fixture, directly or through a helper module that names it (one level). */
function referencing(unit) {
  const name = basename(unit.path);
  const stem = name.replace(/\.(onnx|json|png|jpg|txt)$/, '');
  // "swin_t.onnx" must not match "swin_t_opset13.onnx": match the whole name, or the stem as a word.
  const re = new RegExp(`(^|[^\\w.-])${stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\.\\w+)?(?![\\w-])`);
  const hits = sources.filter((s) => s.text.includes(name) || re.test(s.text));
  const tests = new Set(hits.filter((s) => s.p.endsWith('.test.ts')).map((s) => s.p));
  for (const h of hits.filter((s) => !s.p.endsWith('.test.ts'))) {
    const mod = basename(h.p, '.ts');
    for (const s of sources) if (s.p.endsWith('.test.ts') && new RegExp(`from '[^']*/${mod}(\\.js)?'`).test(s.text)) tests.add(s.p);
  }
  return [...tests].filter((t) => withE2e || !t.startsWith('test/e2e/')).sort();
}

function mochaArgs(testFile) {
  const js = join('out', testFile.replace(/\.ts$/, '.js'));
  const dir = testFile.split('/')[1];
  const conf = existsSync(join(root, `test/${dir}/.mocharc.json`)) ? ['--config', `test/${dir}/.mocharc.json`] : ['--no-config', '--timeout', '120000', '--enable-source-maps'];
  return [...conf, '--reporter', 'json', js];
}

let aside = null; // { from, to } while a fixture is moved away
function restore() { if (aside && existsSync(aside.to)) renameSync(aside.to, aside.from); aside = null; }
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => { restore(); process.exit(130); });
process.on('exit', restore);

function run(testFile) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'node_modules/mocha/bin/mocha.js'), ...mochaArgs(testFile)], { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', () => {});
    const timer = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } resolve({ verdict: 'HANG' }); }, limitMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      let stats = null;
      try { stats = JSON.parse(stdout.slice(stdout.indexOf('{'))).stats; } catch { /* not JSON: crashed */ }
      if (code !== 0) resolve({ verdict: 'fail', stats });
      else if (stats?.pending > 0) resolve({ verdict: 'SKIP', stats });
      else resolve({ verdict: 'PASS', stats });
    });
  });
}

const rows = [];
for (const unit of units()) {
  const tests = referencing(unit);
  if (tests.length === 0) { rows.push([unit.path, '—', 'UNREFERENCED']); console.error(`${unit.path}: no test names it`); continue; }
  const from = join(root, unit.path);
  aside = { from, to: `${from}.sweep-aside` };
  renameSync(aside.from, aside.to);
  try {
    const verdicts = [];
    for (const t of tests) {
      const r = await run(t);
      verdicts.push(`${basename(t)}: ${r.verdict}${r.stats ? ` (${r.stats.failures}F/${r.stats.passes}P/${r.stats.pending}S)` : ''}`);
      console.error(`${unit.path} → ${t}: ${r.verdict}`);
    }
    // The fixture is covered when at least one test fails and none hangs.
    const ok = verdicts.some((v) => v.includes(': fail')) && !verdicts.some((v) => v.includes('HANG'));
    rows.push([unit.path, verdicts.join('; '), ok ? 'ok' : 'NOT COVERED']);
  } finally { restore(); }
}
console.log('| fixture | tests (failures/passes/skips with it removed) | verdict |\n| --- | --- | --- |');
for (const r of rows) console.log(`| ${relative('.', r[0])} | ${r[1]} | ${r[2]} |`);
process.exitCode = rows.some((r) => r[2] !== 'ok') ? 1 : 0;
