// Runs the integration suite (out/test/integration, built from test/integration/*.ts) in a real
// VS Code through @vscode/test-electron, when a VS Code build is available here:
//   - $VSCODE_EXECUTABLE_PATH, or
//   - a build @vscode/test-electron cached earlier in .vscode-test/vscode-<platform>-<version>/.
// It never downloads one (this machine has no way to). Without a build it prints one line saying
// it was skipped and why.
//
// Usage: node test/integration/run.mjs   (after `node scripts/build.mjs --tests`)
// Importable: runIntegration() -> { passed, failed, pending, skipped: string | null }
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(join(root, 'package.json'));

export function findVSCode() {
  const env = process.env.VSCODE_EXECUTABLE_PATH;
  if (env) return existsSync(env) ? { path: env, from: 'VSCODE_EXECUTABLE_PATH' } : { error: `VSCODE_EXECUTABLE_PATH=${env} does not exist` };
  const cache = join(root, '.vscode-test');
  if (existsSync(cache)) {
    const platform = process.platform === 'linux' ? `linux-${process.arch}` : process.platform === 'darwin' ? `darwin${process.arch === 'arm64' ? '-arm64' : ''}` : `win32-${process.arch}-archive`;
    for (const d of readdirSync(cache).filter((d) => d.startsWith(`vscode-${platform}-`)).sort().reverse()) {
      const dir = join(cache, d);
      const candidates =
        process.platform === 'win32' ? ['Code.exe', 'Code - Insiders.exe']
        : process.platform === 'darwin' ? ['Visual Studio Code.app/Contents/MacOS/Electron', 'Visual Studio Code - Insiders.app/Contents/MacOS/Electron']
        : ['code', 'code-insiders'];
      for (const c of candidates) if (existsSync(join(dir, c))) return { path: join(dir, c), from: `.vscode-test/${d}` };
    }
  }
  return null;
}

/** On Linux without a display, starts Xvfb (installing Debian's xvfb if needed) and returns its DISPLAY and a stop(). */
async function ensureDisplay() {
  if (process.platform !== 'linux' || process.env.DISPLAY || process.env.WAYLAND_DISPLAY) return { env: {}, stop: () => {} };
  if (spawnSync('sh', ['-c', 'command -v Xvfb']).status !== 0) {
    const { ensureDebPackages } = await import('../../scripts/setup-test-env.mjs');
    await ensureDebPackages(['xvfb'], 'Xvfb for the integration suite');
  }
  const display = `:${90 + Math.floor(Math.random() * 100)}`;
  const xvfb = spawn('Xvfb', [display, '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 1000));
  if (xvfb.exitCode !== null) throw new Error(`Xvfb ${display} exited at once (code ${xvfb.exitCode})`);
  return { env: { DISPLAY: display }, stop: () => xvfb.kill('SIGTERM') };
}

export async function runIntegration({ timeoutMs = 10 * 60_000 } = {}) {
  const found = findVSCode();
  if (found?.error) throw new Error(found.error);
  if (!found) {
    const why = 'no VS Code build here (set VSCODE_EXECUTABLE_PATH, or cache one in .vscode-test/); @vscode/test-electron cannot download one offline';
    console.log(`integration (@vscode/test-electron): SKIPPED: ${why}`);
    return { passed: 0, failed: 0, pending: 0, skipped: why };
  }
  const testsPath = join(root, 'out', 'test', 'integration', 'index.js');
  if (!existsSync(testsPath)) throw new Error(`${testsPath} is missing: run \`node scripts/build.mjs --tests\` first`);
  if (!existsSync(join(root, 'dist', 'extension.js'))) throw new Error('dist/extension.js is missing: run `node scripts/build.mjs` first');
  console.log(`integration: VS Code from ${found.from}: ${found.path}`);
  const { runTests } = require('@vscode/test-electron');
  const dir = join(root, 'test-results', 'integration');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const results = join(dir, 'results.json');
  const display = await ensureDisplay();
  let timer;
  try {
    const run = runTests({
      vscodeExecutablePath: found.path,
      extensionDevelopmentPath: root,
      extensionTestsPath: testsPath,
      extensionTestsEnv: { VIT_INTEGRATION_RESULTS: results, ...display.env },
      launchArgs: [
        join(root, 'samples'),
        '--disable-extensions',
        '--disable-telemetry',
        '--disable-chromium-sandbox',
        `--user-data-dir=${join(dir, 'user-data')}`,
        `--extensions-dir=${join(dir, 'extensions')}`,
      ],
    });
    const timeout = new Promise((_, rej) => (timer = setTimeout(() => rej(new Error(`integration suite did not finish in ${timeoutMs / 1000}s`)), timeoutMs)));
    // DISPLAY must reach VS Code itself, not only the tests: runTests spawns with process.env.
    Object.assign(process.env, display.env);
    await Promise.race([run, timeout]).catch((e) => {
      if (!existsSync(results)) throw e; // a failing test rejects too: the counts say so
    });
  } finally {
    clearTimeout(timer);
    display.stop();
  }
  if (!existsSync(results)) throw new Error('the integration suite wrote no results (VS Code did not run the tests)');
  const r = JSON.parse(readFileSync(results, 'utf8'));
  return { passed: r.passed, failed: r.failed, pending: r.pending, skipped: null };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runIntegration().then(
    (r) => {
      if (!r.skipped) console.log(`integration: ${r.passed} passing, ${r.failed} failing, ${r.pending} pending`);
      process.exit(r.failed ? 1 : 0);
    },
    (e) => {
      console.error(`integration: ERROR: ${e.message}`);
      process.exit(1);
    },
  );
}
