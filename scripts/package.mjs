// Builds a platform-specific .vsix carrying only that platform's ONNX Runtime and sharp
// binaries. Usage: npm run package -- --target linux-x64 (default: this machine's).
// The extension is staged in .cache/package/<target>/ with a hand-picked node_modules:
// only the two native packages stay external to the esbuild bundles.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const TARGETS = {
  'linux-x64': { ort: 'linux/x64', sharp: ['sharp-linux-x64', 'sharp-libvips-linux-x64'] },
  'linux-arm64': { ort: 'linux/arm64', sharp: ['sharp-linux-arm64', 'sharp-libvips-linux-arm64'] },
  'win32-x64': { ort: 'win32/x64', sharp: ['sharp-win32-x64'] },
  'win32-arm64': { ort: 'win32/arm64', sharp: ['sharp-win32-arm64'] },
  'darwin-x64': { ort: 'darwin/x64', sharp: ['sharp-darwin-x64', 'sharp-libvips-darwin-x64'] },
  'darwin-arm64': { ort: 'darwin/arm64', sharp: ['sharp-darwin-arm64', 'sharp-libvips-darwin-arm64'] },
};

const argv = process.argv.slice(2);
const ti = argv.indexOf('--target');
const target = ti >= 0 ? argv[ti + 1] : `${process.platform}-${process.arch}`;
if (!TARGETS[target]) {
  console.error(`Unknown target "${target}". Known: ${Object.keys(TARGETS).join(', ')}`);
  process.exit(2);
}
const root = resolve('.');
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const stage = join(root, '.cache', 'package', target);
rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });

execFileSync(process.execPath, ['scripts/build.mjs', '--production'], { stdio: 'inherit' });

// The extension itself.
for (const p of ['dist', 'media', 'samples', 'README.md', 'LICENSE', 'CHANGELOG.md', '.vscodeignore'])
  if (existsSync(p)) cpSync(p, join(stage, p), { recursive: true, filter: (s) => !s.endsWith('.map') && !s.includes('screenshots') && !s.endsWith('ACCURACY.md') });

// The Marketplace shows README images only from https URLs; this project has no public URL, so the
// packaged README drops its pictures (they stay in the repository's README).
writeFileSync(join(stage, 'README.md'), readFileSync('README.md', 'utf8').replace(/!\[([^\]]*)\]\((?!https:)[^)]*\)/g, '_($1: picture in the source README)_'));

// Runtime dependencies: the closure of the two native packages, from this node_modules.
const copied = new Set();
function copyPackage(name) {
  if (copied.has(name)) return;
  copied.add(name);
  const src = join(root, 'node_modules', name);
  if (!existsSync(src)) return fetchPackage(name);
  const meta = JSON.parse(readFileSync(join(src, 'package.json'), 'utf8'));
  cpSync(src, join(stage, 'node_modules', name), {
    recursive: true,
    filter: (s) => {
      const rel = s.slice(src.length);
      if (name === 'onnxruntime-node' && rel.startsWith('/bin/napi-v6/')) {
        const sub = rel.slice('/bin/napi-v6/'.length);
        return sub === '' || TARGETS[target].ort.startsWith(sub) || sub.startsWith(TARGETS[target].ort);
      }
      if (name === 'sharp' && rel.startsWith('/src')) return false; // C++ sources: prebuilt binaries are used
      return !/\.(map|ts|md)$/.test(rel) || rel.endsWith('.d.ts') === false && !rel.endsWith('.ts');
    },
  });
  for (const dep of Object.keys(meta.dependencies ?? {})) copyPackage(dep);
}
// A package for another platform is not installed here: take it from the npm registry.
function fetchPackage(name) {
  const want = JSON.parse(readFileSync(join(root, 'node_modules', 'sharp', 'package.json'), 'utf8')).optionalDependencies[`@img/${name.split('/')[1]}`]
    ?? JSON.parse(readFileSync(join(root, 'node_modules', '@img', TARGETS[target].sharp[0], 'package.json'), 'utf8')).optionalDependencies?.[name];
  const dir = join(root, '.cache', 'npm-pack');
  mkdirSync(dir, { recursive: true });
  const file = execFileSync('npm', ['pack', `${name}@${want}`, '--silent'], { cwd: dir, encoding: 'utf8' }).trim().split('\n').pop();
  const dest = join(stage, 'node_modules', name);
  mkdirSync(dest, { recursive: true });
  execFileSync('tar', ['xzf', join(dir, file), '-C', dest, '--strip-components=1']);
}
copyPackage('onnxruntime-node');
copyPackage('sharp');
for (const n of TARGETS[target].sharp) copyPackage(`@img/${n}`);
// Only the two externals are runtime dependencies; vsce walks node_modules from them.
const manifest = { ...pkg, devDependencies: {}, scripts: {}, allowScripts: undefined,
  dependencies: { 'onnxruntime-node': pkg.dependencies['onnxruntime-node'], sharp: pkg.dependencies.sharp } };
writeFileSync(join(stage, 'package.json'), JSON.stringify(manifest, null, 2));

const out = join(root, `vit-inspector-${target}.vsix`);
execFileSync('npx', ['vsce', 'package', '--target', target, '--allow-missing-repository', '--skip-license', '-o', out], { cwd: stage, stdio: 'inherit' });
const mb = (statSync(out).size / 1e6).toFixed(1);
console.log(`${out} (${mb} MB, target ${target})`);
