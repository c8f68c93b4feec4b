// `npm run lint` (and a phase of `npm test`). typescript-eslint's recommended rules, a few cheap
// type-aware ones, and the layering DESIGN.md states, checked on resolved paths:
//   src/core     imports nothing from vscode, src/runtime, src/extension, src/shared, src/cli, webview/
//   src/shared   imports only src/core (it is what the host and the webviews share)
//   webview/     imports no Node module (it runs in a browser)
//   no import cycles anywhere (type-only imports excepted: they vanish at build time)
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

const notCore = ['./src/runtime', './src/extension', './src/shared', './src/cli', './webview'];

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', '.cache/**', '.vscode-test/**', 'test-results/**', 'test/fixtures/**', 'media/**', 'tools/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    settings: { 'import-x/extensions': ['.ts', '.js'], 'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] }, 'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json', '.node'] })] },
    rules: {
      // Type-aware, and cheap: a promise nobody awaits loses its error (a panel that never answers).
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/await-thenable': 'error',
      // The native modules are loaded on first use (the extension host never loads ONNX Runtime).
      '@typescript-eslint/no-require-imports': ['error', { allow: ['^sharp$', '^onnxruntime-node(/package\\.json)?$'] }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'import-x/no-cycle': ['error', { ignoreExternal: true, allowUnsafeDynamicCyclicDependency: false }],
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            { target: './src/core', from: notCore, message: 'src/core is the UI-free layer: dependencies point down (cli/extension → runtime/shared → core).' },
            { target: './src/shared', from: ['./src/runtime', './src/extension', './src/cli', './webview'], message: 'src/shared imports only src/core.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/core/**/*.ts', 'src/shared/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'src/core and src/shared never import vscode (the CLI and the webviews use them).' }] }] },
  },
  {
    files: ['webview/**/*.ts'],
    rules: { 'import-x/no-nodejs-modules': 'error' },
  },
  {
    files: ['**/*.mjs'],
    // bench/ passes functions to page.evaluate: they run in the browser.
    languageOptions: { globals: { window: 'readonly', document: 'readonly', requestAnimationFrame: 'readonly', Event: 'readonly', MouseEvent: 'readonly', process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly', URL: 'readonly', fetch: 'readonly', AbortController: 'readonly', performance: 'readonly' } },
  },
);
