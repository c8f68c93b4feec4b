#!/usr/bin/env node
// `npm test`: everything, in order, on a fresh machine too.
//   setup        scripts/setup-test-env.mjs (Chromium, Node 24, code-server; cached in .cache/)
//   build        node scripts/build.mjs --tests
//   lint         eslint . (eslint.config.mjs: typescript-eslint + the layering rules)
//   unit         mocha --config .mocharc.json                  (test/unit: pure, src/core and friends)
//   runtime      mocha --config test/runtime/.mocharc.json     (the inference process, for real)
//   webview      mocha --config test/webview/.mocharc.json     (each panel's bundle in Chromium)
//   package      node scripts/package.mjs --target <platform>  (the .vsix the e2e tests install)
//   e2e          mocha --config test/e2e/.mocharc.json         (code-server + Chromium)
//   integration  test/integration/run.mjs (@vscode/test-electron; skipped without a VS Code build)
// Every suite runs even when an earlier one failed (but nothing runs without setup and build).
// Exit code 0 only when nothing failed. Ends with one line: `N passed, N failed, N skipped`, after
// the list of what was skipped and why. Under CI (CI=true) a skipped mocha test counts as failed:
// the only skip CI allows is the integration suite (no VS Code build can be downloaded offline).
//
// The mocha configs hold no spec (so `mocha --config X one.test.js` runs just that file): the
// globs are here. unit and runtime set no `exit`: they end only when their tests closed every
// handle (test/runtime/exits.test.ts keeps it so).
//
// Options: --only lint,unit,runtime,webview,e2e,integration   run some suites (setup/build still run)
//          --skip-setup                          do not run setup-test-env (it is quick when warm)
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const argv = process.argv.slice(2);
const CI = /^(1|true|yes)$/i.test(process.env.CI ?? '');
/** Colour codes in mocha's output (ESC [ … m). */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
const onlyArg = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : null;
const only = onlyArg ? new Set(onlyArg.split(',')) : null;
const wants = (suite) => !only || only.has(suite);

const t0 = Date.now();
const fmt = (ms) => (ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`);
const phases = []; // { name, ms, note, passed, failed, skipped }
let current = null; // the running child, to stop it on Ctrl+C or a timeout

function banner(name) {
  console.log(`\n━━━━ ${name} ${'━'.repeat(Math.max(0, 60 - name.length))}`);
}

/** Runs a command, echoing its output; resolves { code, out }. Kills its whole process group on timeout. */
function run(cmd, args, { env = {}, timeoutMs }) {
  return new Promise((res) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
    current = child;
    let out = '';
    child.stdout.on('data', (d) => (process.stdout.write(d), (out += d)));
    child.stderr.on('data', (d) => (process.stderr.write(d), (out += d)));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      console.error(`\n[test] ${cmd} ${args.join(' ')} did not finish in ${fmt(timeoutMs)}: stopping it`);
      killGroup(child, 'SIGTERM');
      setTimeout(() => killGroup(child, 'SIGKILL'), 10_000).unref();
    }, timeoutMs);
    child.on('error', (e) => (out += `\n${e.message}`));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      current = null;
      res({ code: timedOut ? 124 : (code ?? (signal ? 128 : 1)), out });
    });
  });
}

function killGroup(child, signal) {
  if (!child?.pid) return;
  try {
    process.kill(process.platform === 'win32' ? child.pid : -child.pid, signal);
  } catch {
    /* gone */
  }
}
for (const sig of ['SIGINT', 'SIGTERM'])
  process.on(sig, () => {
    killGroup(current, 'SIGTERM');
    setTimeout(() => (killGroup(current, 'SIGKILL'), process.exit(130)), 3000).unref();
  });

/** Counts from mocha's spec reporter: "  12 passing (3s)", "  1 failing", "  2 pending". */
function mochaCounts(out) {
  const text = out.replace(ANSI, '');
  const last = (re) => {
    const all = [...text.matchAll(re)];
    return all.length ? Number(all.at(-1)[1]) : null;
  };
  return { passed: last(/^\s*(\d+) passing/gm), failed: last(/^\s*(\d+) failing/gm) ?? 0, pending: last(/^\s*(\d+) pending/gm) ?? 0 };
}

async function mochaSuite(name, config, spec, { env, timeoutMs }) {
  banner(name);
  const t = Date.now();
  const args = [join(root, 'node_modules', 'mocha', 'bin', 'mocha.js'), '--config', config, spec];
  args.push(process.stdout.isTTY ? '--color' : '--no-color');
  const { code, out } = await run(process.execPath, args, { env, timeoutMs });
  const c = mochaCounts(out);
  // A crash before or after the run (no summary, or a non-zero exit with no failing test) counts as one failure.
  let failed = c.failed;
  if (c.passed === null || (code !== 0 && failed === 0)) failed += 1;
  let note = c.passed === null ? `did not run to the end (exit ${code})` : `${c.passed} passing, ${c.failed} failing${c.pending ? `, ${c.pending} pending` : ''}${code !== 0 && c.failed === 0 ? ` (exit ${code})` : ''}`;
  // Under CI nothing in a mocha suite may skip (test/skip.ts already fails those; this catches an `it.skip`).
  let skipped = c.pending;
  if (CI && skipped) {
    note += ` (CI: ${skipped} pending counted as failed)`;
    failed += skipped;
    skipped = 0;
  }
  phases.push({ name, ms: Date.now() - t, note, passed: c.passed ?? 0, failed, skipped, reasons: skipReasons(out, c.pending) });
}

/** Why tests were skipped: test/skip.ts prints `SKIPPED: <reason>` for each; the rest gave none. */
function skipReasons(out, pending) {
  const text = out.replace(ANSI, '');
  const counts = new Map();
  for (const m of text.matchAll(/^\s*SKIPPED: (.+)$/gm)) counts.set(m[1].trim(), (counts.get(m[1].trim()) ?? 0) + 1);
  const given = [...counts.values()].reduce((a, n) => a + n, 0);
  if (pending > given) counts.set('no reason given (it.skip / this.skip without test/skip.ts)', pending - given);
  return [...counts].map(([why, n]) => ({ why, n }));
}

async function step(name, fn) {
  banner(name);
  const t = Date.now();
  try {
    const note = await fn();
    phases.push({ name, ms: Date.now() - t, note: note ?? 'ok', passed: 0, failed: 0, skipped: 0 });
    return true;
  } catch (e) {
    console.error(`[test] ${name} FAILED: ${e.message}`);
    phases.push({ name, ms: Date.now() - t, note: `FAILED: ${e.message.split('\n')[0]}`, passed: 0, failed: 1, skipped: 0 });
    return false;
  }
}

function summary() {
  console.log(`\n━━━━ summary ${'━'.repeat(53)}`);
  for (const p of phases) console.log(`${p.name.padEnd(12)} ${fmt(p.ms).padStart(7)}  ${p.note}`);
  console.log(`${'total'.padEnd(12)} ${fmt(Date.now() - t0).padStart(7)}`);
  const sum = (k) => phases.reduce((a, p) => a + p[k], 0);
  const passed = sum('passed');
  const failed = sum('failed');
  const skipped = sum('skipped');
  if (skipped) {
    console.log(`\nskipped (${skipped}):`);
    for (const p of phases) for (const r of p.reasons ?? []) console.log(`  ${p.name}: ${r.n} × ${r.why}`);
    if (CI) console.log('  (CI allows only the integration suite to skip: no VS Code build can be downloaded offline)');
  }
  console.log('');
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

async function main() {
  let ok = true;
  if (!argv.includes('--skip-setup'))
    ok = await step('setup', async () => {
      const { setupTestEnv } = await import('./setup-test-env.mjs');
      await setupTestEnv();
    });
  if (ok)
    ok = await step('build', async () => {
      const { code } = await run(process.execPath, ['scripts/build.mjs', '--tests'], { timeoutMs: 5 * 60_000 });
      if (code !== 0) throw new Error(`scripts/build.mjs --tests exited ${code}`);
    });
  if (!ok) return summary();

  if (wants('lint'))
    await step('lint', async () => {
      const { code } = await run(process.execPath, [join(root, 'node_modules', 'eslint', 'bin', 'eslint.js'), '.'], { timeoutMs: 10 * 60_000 });
      if (code !== 0) throw new Error(`eslint found problems (exit ${code}): see above, or run \`npm run lint\``);
    });
  if (wants('unit')) await mochaSuite('unit', '.mocharc.json', 'out/test/unit/**/*.test.js', { timeoutMs: 15 * 60_000 });
  if (wants('runtime')) await mochaSuite('runtime', 'test/runtime/.mocharc.json', 'out/test/runtime/**/*.test.js', { timeoutMs: 25 * 60_000 });
  if (wants('webview')) await mochaSuite('webview', 'test/webview/.mocharc.json', 'out/test/webview/**/*.test.js', { timeoutMs: 15 * 60_000 });

  if (wants('e2e')) {
    const target = `${process.platform}-${process.arch}`;
    const vsix = join(root, `vit-inspector-${target}.vsix`);
    const packaged = await step('package', async () => {
      const { code } = await run(process.execPath, ['scripts/package.mjs', '--target', target], { timeoutMs: 10 * 60_000 });
      if (code !== 0) throw new Error(`scripts/package.mjs --target ${target} exited ${code}`);
      if (!existsSync(vsix)) throw new Error(`scripts/package.mjs did not write ${vsix}`);
      return vsix.slice(root.length + 1);
    });
    if (packaged) await mochaSuite('e2e', 'test/e2e/.mocharc.json', 'out/test/e2e/**/*.test.js', { env: { VIT_E2E_VSIX: vsix }, timeoutMs: 25 * 60_000 });
  }

  if (wants('integration')) {
    banner('integration');
    const t = Date.now();
    try {
      const { runIntegration } = await import('../test/integration/run.mjs');
      const r = await runIntegration({ timeoutMs: 10 * 60_000 });
      phases.push(
        r.skipped
          ? { name: 'integration', ms: Date.now() - t, note: `skipped: ${r.skipped}`, passed: 0, failed: 0, skipped: 1, reasons: [{ why: r.skipped, n: 1 }] }
          : { name: 'integration', ms: Date.now() - t, note: `${r.passed} passing, ${r.failed} failing${r.pending ? `, ${r.pending} pending` : ''}`, passed: r.passed, failed: r.failed, skipped: r.pending },
      );
    } catch (e) {
      console.error(`[test] integration FAILED: ${e.message}`);
      phases.push({ name: 'integration', ms: Date.now() - t, note: `FAILED: ${e.message.split('\n')[0]}`, passed: 0, failed: 1, skipped: 0 });
    }
  }
  return summary();
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
