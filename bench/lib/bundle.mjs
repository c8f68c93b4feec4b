// What the benches that load src/ (or a test harness) share: a temp folder, removed on exit unless
// --keep, and esbuild bundling project files into it as one CommonJS module, loaded at once.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
/** require() from the project: native packages, and the bundles by their absolute path. */
export const req = createRequire(path.join(root, 'package.json'));

// Native packages (and playwright, vscode) stay external, required by absolute path: the bundles
// live in the temp folder, where a bare name would not resolve.
const natives = {
  name: 'natives',
  setup(b) {
    b.onResolve({ filter: /^(onnxruntime-node|sharp|playwright-core|vscode)$/ }, (a) => ({ path: req.resolve(a.path), external: true }));
  },
};

/**
 * A temp folder `vit-NAME-bench-…`, removed when the process exits (Ctrl-C and kill too) unless the
 * bench was started with --keep; `cleanup()` removes it earlier.
 */
export function benchTemp(name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `vit-${name}-bench-`));
  const keep = process.argv.includes('--keep');
  const cleanup = () => {
    if (!keep) fs.rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
  return { dir, keep, cleanup };
}

/**
 * Bundles `exports` — [names, file relative to the root] pairs, e.g. ['readModel', 'src/core/onnx/reader'] —
 * into DIR/NAME.cjs for node and returns the loaded module.
 */
export async function bundleExports(dir, name, exports) {
  const entry = path.join(dir, `${name}.ts`);
  fs.writeFileSync(entry, exports.map(([what, from]) => `export { ${what} } from ${JSON.stringify(path.join(root, from))};`).join('\n'));
  const outfile = path.join(dir, `${name}.cjs`);
  await esbuild.build({ entryPoints: [entry], bundle: true, outfile, format: 'cjs', platform: 'node', target: 'node20', plugins: [natives], logLevel: 'warning' });
  return req(outfile);
}
