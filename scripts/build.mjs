// Builds every bundle with esbuild. Native packages (onnxruntime-node, sharp) stay external:
// they are loaded from node_modules at run time and shipped per platform by `npm run package`.
// `--tests` also transpiles src/ and test/ file-by-file into out/ for mocha.
import * as esbuild from 'esbuild';
import { readdirSync, statSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const args = new Set(process.argv.slice(2));
const production = args.has('--production');
const external = ['vscode', 'onnxruntime-node', 'sharp'];

function walk(dir, pred, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, pred, out);
    else if (pred(p)) out.push(p);
  }
  return out;
}

const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning' };

const node = [
  { entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js' },
  { entryPoints: ['src/runtime/worker.ts'], outfile: 'dist/runtime.js' },
  // The image-preparation thread of the inference process (decode + preprocess while a run blocks it).
  { entryPoints: ['src/runtime/prepare.ts'], outfile: 'dist/prepare.js' },
  { entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
].filter((c) => existsSync(c.entryPoints[0]));

// One browser bundle per webview panel: webview/<panel>/main.ts -> dist/webview/<panel>.js
const panels = readdirSync('webview').filter((d) => existsSync(join('webview', d, 'main.ts')));

await Promise.all([
  ...node.map((c) => esbuild.build({ ...common, ...c, platform: 'node', target: 'node20', format: 'cjs', external })),
  ...panels.map((p) =>
    esbuild.build({
      ...common,
      entryPoints: [join('webview', p, 'main.ts')],
      outfile: join('dist', 'webview', `${p}.js`),
      platform: 'browser',
      target: 'chrome120',
      format: 'iife',
      loader: { '.css': 'text' },
    }),
  ),
]);

if (args.has('--tests')) {
  rmSync('out', { recursive: true, force: true });
  const files = [...walk('src', (p) => p.endsWith('.ts')), ...walk('test', (p) => p.endsWith('.ts') && !p.includes('fixtures')), ...walk('bench', (p) => p.endsWith('.ts'))];
  await esbuild.build({ entryPoints: files, outdir: 'out', outbase: '.', platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning' });
}
console.log(`built ${node.length} node bundle(s), ${panels.length} webview bundle(s)${args.has('--tests') ? ', tests' : ''}`);
